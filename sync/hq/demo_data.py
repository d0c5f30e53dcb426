"""A small bilingual food catalog and customer names for demos and the stream simulator."""

from __future__ import annotations

from ..protocol import CatalogItem

# sku, name_zh, name_en, zone, price_cents, barcode, shelf_life_days
DEMO_CATALOG: tuple[CatalogItem, ...] = tuple(
    CatalogItem(sku=s, name_zh=zh, name_en=en, zone=z, price_cents=c, barcode=b, shelf_life_days=d)
    for s, zh, en, z, c, b, d in (
        ("MILK-1L", "鲜牛奶 1升", "Fresh milk 1 L", "chilled", 1290, "6901234500011", 7),
        ("YOG-4", "原味酸奶 4杯", "Plain yoghurt x4", "chilled", 1590, "6901234500028", 14),
        ("SASHIMI-SALMON", "三文鱼刺身 200克", "Salmon sashimi 200 g", "chilled", 5990, "6901234500035", 2),
        ("GREENS-BOK", "上海青 500克", "Bok choy 500 g", "chilled", 690, "6901234500042", 4),
        ("STEAK-RIB", "眼肉牛排 250克", "Rib-eye steak 250 g", "frozen", 8900, "6901234500059", 180),
        ("DUMPLING-PORK", "猪肉白菜水饺 1公斤", "Pork & cabbage dumplings 1 kg", "frozen", 3290, "6901234500066", 270),
        ("ICE-MATCHA", "抹茶冰淇淋", "Matcha ice cream", "frozen", 1890, "6901234500073", 365),
        ("NUTS-MIX", "每日坚果 30包", "Daily mixed nuts x30", "ambient", 12900, "6901234500080", 240),
        ("OIL-PEANUT", "压榨花生油 5升", "Pressed peanut oil 5 L", "ambient", 9990, "6901234500097", 540),
        ("RICE-5KG", "东北大米 5公斤", "Northeast rice 5 kg", "ambient", 5990, "6901234500103", 365),
        ("CAKE-STRAW", "草莓奶油蛋糕 6寸", "Strawberry cream cake 6-inch", "chilled", 16800, "6901234500110", 2),
        ("BREAD-TOAST", "全麦吐司", "Wholemeal toast", "ambient", 1290, "6901234500127", 5),
    )
)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ("伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "秀英", "晓东", "子涵")
