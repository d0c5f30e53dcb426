"""Screens of the store terminal; each calls domain functions through the app's StoreService."""
