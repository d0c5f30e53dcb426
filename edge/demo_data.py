"""The demo store's catalogue, people and neighbours: realistic, bilingual, all three zones."""

from __future__ import annotations

STORE = ("S001", "静安寺店", "Jing'an Temple")
OTHER_STORES = [("S002", "徐汇滨江店", "Xuhui Riverside"), ("S003", "陆家嘴店", "Lujiazui")]

# clerk_id, name, role, PIN (printed by `store-edge demo codes`; demo only)
PEOPLE = [
    ("c01", "王芳", "clerk", "1111"),
    ("c02", "李强", "clerk", "2222"),
    ("c03", "Emily Chen", "clerk", "3333"),
    ("m01", "张经理", "manager", "9999"),
]

# sku, name_zh, name_en, zone, price (cents), shelf life (days)
PRODUCTS = [
    ("B001", "法式牛角包", "Butter croissant", "ambient", 1200, 2),
    ("B002", "全麦吐司", "Wholemeal loaf", "ambient", 1800, 4),
    ("B003", "草莓奶油蛋糕 6寸", "Strawberry cream cake 6\"", "chilled", 16800, 2),
    ("B004", "巴斯克芝士蛋糕", "Basque cheesecake", "chilled", 9800, 3),
    ("B005", "肉松小贝", "Pork floss puff", "ambient", 1500, 3),
    ("B006", "Sourdough boule", "Sourdough boule", "ambient", 3200, 3),
    ("N001", "每日坚果 30包", "Daily mixed nuts x30", "ambient", 12900, 240),
    ("N002", "特级初榨橄榄油 1L", "Extra virgin olive oil 1L", "ambient", 8900, 540),
    ("N003", "五常大米 5kg", "Wuchang rice 5kg", "ambient", 6900, 365),
    ("N004", "黑芝麻糊", "Black sesame paste", "ambient", 2900, 300),
    ("D001", "鲜牛奶 950ml", "Fresh milk 950ml", "chilled", 1590, 7),
    ("D002", "希腊酸奶", "Greek yoghurt", "chilled", 1290, 14),
    ("D003", "鸡蛋 10枚", "Free-range eggs x10", "chilled", 2290, 21),
    ("D004", "Cheddar cheese 200g", "Cheddar cheese 200g", "chilled", 3990, 60),
    ("V001", "有机菠菜", "Organic spinach", "chilled", 990, 3),
    ("V002", "水果玉米", "Sweet corn", "chilled", 1290, 4),
    ("V003", "丹东草莓 500g", "Dandong strawberries 500g", "chilled", 5990, 3),
    ("V004", "阳光玫瑰葡萄", "Shine Muscat grapes", "chilled", 6990, 7),
    ("V005", "牛油果 4个", "Avocados x4", "ambient", 3590, 5),
    ("S001", "三文鱼刺身 200g", "Salmon sashimi 200g", "chilled", 8800, 2),
    ("S002", "北极甜虾", "Arctic sweet shrimp", "frozen", 6800, 180),
    ("S003", "大闸蟹 4只装", "Hairy crabs x4", "chilled", 29800, 2),
    ("M001", "澳洲和牛西冷", "Australian wagyu sirloin", "frozen", 25800, 365),
    ("M002", "黑猪五花肉", "Black pork belly", "chilled", 4980, 4),
    ("M003", "冷冻鸡翅中 1kg", "Frozen chicken wings 1kg", "frozen", 4590, 365),
    ("R001", "红烧肉便当", "Braised pork bento", "chilled", 3200, 1),
    ("R002", "宫保鸡丁饭", "Kung pao chicken rice", "chilled", 2800, 1),
    ("R003", "手工水饺 500g", "Handmade dumplings 500g", "frozen", 3900, 180),
    ("R004", "小笼包 12只", "Xiaolongbao x12", "frozen", 3600, 180),
    ("R005", "Beef lasagne", "Beef lasagne", "frozen", 4200, 180),
    ("I001", "香草冰淇淋 1L", "Vanilla ice cream 1L", "frozen", 5800, 365),
    ("I002", "抹茶雪糕 6支", "Matcha ice bars x6", "frozen", 3900, 365),
]

SURNAMES_ZH = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
NAMES_EN = ["Smith", "Johnson", "Brown", "Garcia", "Miller", "Davis", "Wilson", "Taylor", "Anderson", "Thomas"]
SLOTS = {"ambient": "A", "chilled": "F", "frozen": "Z"}  # storage slots A-01, F-01, Z-01…
SLOT_COUNTS = {"ambient": 12, "chilled": 8, "frozen": 6}  # the defaults of migration 6
# where products sit for the pick walk: racks R, chill cabinets C, deep freezers D
SHELF_PREFIX = {"ambient": "R", "chilled": "C", "frozen": "D"}


def shelves(products: list[tuple[str, str]]) -> dict[str, str]:
    """SKU -> shelf place (e.g. R1-03) for (sku, zone) pairs, four places per shelf."""
    places: dict[str, str] = {}
    seen: dict[str, int] = {}
    for sku, zone in products:
        n = seen.get(zone, 0)
        seen[zone] = n + 1
        places[sku] = f"{SHELF_PREFIX[zone]}{n // 4 + 1}-{n % 4 + 1:02d}"
    return places
