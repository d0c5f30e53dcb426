"""Camera scanning: frame sources, a decoder interface with two backends, the reader worker."""
from devices.camera.decoder import (
    CODE128, DEFAULT_BACKEND, EAN8, EAN13, QR, UPCE, Decoded, Decoder, DecoderUnavailable, PyzbarDecoder,
    ZxingDecoder, available_backends, make_decoder, to_gray,
)
from devices.camera.reader import CameraReader, CameraStatus, HoldOff
from devices.camera.sources import (
    CameraSource, FrameSource, ImageFolderSource, SourceError, VideoFileSource, open_source,
)

__all__ = [
    "CODE128", "DEFAULT_BACKEND", "EAN8", "EAN13", "QR", "UPCE", "CameraReader", "CameraSource", "CameraStatus",
    "Decoded", "Decoder", "DecoderUnavailable", "FrameSource", "HoldOff", "ImageFolderSource",
    "PyzbarDecoder", "SourceError", "VideoFileSource", "ZxingDecoder", "available_backends",
    "make_decoder", "open_source", "to_gray",
]
