"""The words of the simulated shop: departments, leaf categories, brands, attributes.

Vocabularies overlap on purpose (colours, materials, marketing words, some
brands and nouns appear in several categories) so that titles carry the
category signal with the noise a real catalogue has.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Leaf:
    """A leaf category: its path below the department and the nouns sellers use for it."""

    path: tuple[str, ...]
    nouns: tuple[str, ...]
    median_price: float
    specs: tuple[str, ...] = ()
    sizes: tuple[str, ...] | None = None  # None: the department's size system


@dataclass(frozen=True)
class Department:
    """A top-level category with the brands, attributes and sizes its listings use."""

    name: str
    brands: tuple[str, ...]
    attributes: tuple[str, ...]
    features: tuple[str, ...]
    leaves: tuple[Leaf, ...]
    sizes: tuple[str, ...] = ()
    colour_rate: float = 0.5
    price_sigma: float = 0.45


COLOURS = (
    "Black", "White", "Navy", "Grey", "Beige", "Red", "Blue", "Green",
    "Pink", "Brown", "Olive", "Burgundy", "Silver", "Gold", "Cream", "Teal",
)
MARKETING = ("New", "Premium", "Classic", "Essential", "Deluxe", "Eco", "Original", "Pro", "Bestseller")
UNBRANDED = "Unbranded"
REGIONS = ("DE", "GB", "FR", "NL", "ES", "IT", "PL", "SE", "AT", "BE", "DK", "CZ")

_EU_SHOE_SIZES = tuple(f"EU {n}" for n in range(36, 47))
_CLOTHING_SIZES = ("XS", "S", "M", "L", "XL", "XXL")

DEPARTMENTS: tuple[Department, ...] = (
    Department(
        "Clothing",
        brands=("Nordhaven", "Urban Thread", "Maple & Moss", "Kestrel", "Bluecoast", "Linden Row", "Everyday Basics", "Fernway"),
        attributes=("Slim Fit", "Relaxed Fit", "Regular Fit", "Cotton", "Organic Cotton", "Linen", "Stretch",
                    "Long Sleeve", "Short Sleeve", "V-Neck", "Casual", "Formal", "Lightweight", "Oversized", "Striped", "Floral"),
        features=("Machine washable", "Breathable fabric", "Soft-touch finish", "Easy care", "True to size"),
        sizes=_CLOTHING_SIZES,
        colour_rate=0.75,
        leaves=(
            Leaf(("Women", "Dresses"), ("dress", "midi dress", "maxi dress", "wrap dress", "sundress"), 49),
            Leaf(("Women", "Tops & Blouses"), ("blouse", "top", "tank top", "tunic", "camisole"), 25),
            Leaf(("Women", "Jeans"), ("jeans", "skinny jeans", "wide-leg jeans", "mom jeans"), 55),
            Leaf(("Women", "Skirts"), ("skirt", "pleated skirt", "mini skirt", "pencil skirt"), 35),
            Leaf(("Men", "Shirts"), ("shirt", "oxford shirt", "flannel shirt", "dress shirt", "polo shirt"), 35),
            Leaf(("Men", "T-Shirts"), ("t-shirt", "tee", "graphic tee", "crew neck t-shirt"), 18),
            Leaf(("Men", "Trousers"), ("trousers", "chinos", "cargo pants", "joggers"), 45),
            Leaf(("Men", "Jackets & Coats"), ("jacket", "bomber jacket", "parka", "rain jacket", "coat"), 95),
            Leaf(("Kids", "Baby Clothing"), ("bodysuit", "romper", "sleepsuit", "baby onesie"), 16,
                 sizes=("0-3 Months", "3-6 Months", "6-12 Months", "12-18 Months")),
            Leaf(("Kids", "Pyjamas"), ("pyjamas", "pyjama set", "nightwear", "sleepwear"), 20),
        ),
    ),
    Department(
        "Shoes",
        brands=("Stridewell", "Kestrel", "Peakline", "Cobbler & Co", "Airloom", "Trailhead"),
        attributes=("Leather", "Suede", "Waterproof", "Lightweight", "Slip-On", "Lace-Up", "Memory Foam",
                    "Breathable", "Non-Slip", "Vegan Leather", "Cushioned"),
        features=("Cushioned insole", "Rubber outsole", "True to size", "Padded collar"),
        sizes=_EU_SHOE_SIZES,
        colour_rate=0.7,
        leaves=(
            Leaf(("Sneakers",), ("sneakers", "trainers", "canvas shoes", "low-top sneakers"), 70),
            Leaf(("Running Shoes",), ("running shoes", "trail running shoes", "road running shoes", "jogging shoes"), 95),
            Leaf(("Boots",), ("boots", "ankle boots", "chelsea boots", "hiking boots", "winter boots"), 110),
            Leaf(("Sandals",), ("sandals", "slides", "flip flops", "espadrilles"), 35),
            Leaf(("Heels",), ("heels", "pumps", "stilettos", "block heels"), 65),
        ),
    ),
    Department(
        "Electronics",
        brands=("Voltra", "Lumio", "Zentek", "Auralis", "Brightcore", "Novix", "Pixelon", "Everyday Basics"),
        attributes=("Wireless", "Bluetooth 5.3", "USB-C", "Fast Charging", "Noise Cancelling", "Portable",
                    "Waterproof", "Smart", "Compact", "Rechargeable", "4K", "HD"),
        features=("2-year warranty", "USB-C charging", "Energy efficient", "Quick start guide included"),
        colour_rate=0.35,
        price_sigma=0.55,
        leaves=(
            Leaf(("Phones", "Smartphones"), ("smartphone", "mobile phone", "android phone", "5g phone"), 420,
                 specs=("64GB", "128GB", "256GB", "Dual SIM")),
            Leaf(("Phones", "Phone Cases"), ("phone case", "silicone case", "flip case", "bumper case"), 15),
            Leaf(("Phones", "Chargers & Cables"), ("charger", "charging cable", "wall charger", "power bank", "car charger"), 20),
            Leaf(("Audio", "Headphones"), ("headphones", "earbuds", "over-ear headphones", "in-ear headphones"), 80),
            Leaf(("Audio", "Speakers"), ("speaker", "bluetooth speaker", "soundbar", "smart speaker"), 90),
            Leaf(("Computers", "Laptops"), ("laptop", "notebook", "ultrabook", "gaming laptop"), 850,
                 specs=("8GB RAM", "16GB RAM", "512GB SSD", "15.6 inch", "14 inch")),
            Leaf(("Computers", "Keyboards & Mice"), ("keyboard", "mouse", "mechanical keyboard", "wireless mouse", "keyboard and mouse set"), 35),
            Leaf(("Computers", "Monitors"), ("monitor", "gaming monitor", "curved monitor", "office monitor"), 220,
                 specs=("24 inch", "27 inch", "32 inch", "144Hz")),
            Leaf(("TV & Video", "Televisions"), ("tv", "smart tv", "led tv", "oled tv"), 600,
                 specs=("43 inch", "55 inch", "65 inch")),
            Leaf(("Cameras", "Digital Cameras"), ("camera", "digital camera", "mirrorless camera", "action camera"), 450),
        ),
    ),
    Department(
        "Home & Kitchen",
        brands=("Hearthstone", "Casa Verde", "Oak & Ember", "Nestwell", "Kitchara", "Everyday Basics", "Linden Row"),
        attributes=("Stainless Steel", "Non-Stick", "Ceramic", "Cotton", "Bamboo", "Cast Iron", "Dishwasher Safe",
                    "Glass", "Wooden", "Modern", "Scandinavian", "Vintage"),
        features=("Easy to clean", "Dishwasher safe", "Gift boxed", "Made to last"),
        colour_rate=0.5,
        leaves=(
            Leaf(("Kitchen", "Cookware"), ("frying pan", "saucepan", "wok", "skillet", "cookware set", "casserole dish"), 40),
            Leaf(("Kitchen", "Small Appliances"), ("kettle", "toaster", "blender", "coffee maker", "air fryer"), 60),
            Leaf(("Kitchen", "Tableware"), ("dinner plates", "mug", "bowl set", "dinnerware set", "serving platter"), 30),
            Leaf(("Bedding", "Bed Sheets"), ("bed sheet", "fitted sheet", "duvet cover", "bedding set"), 40,
                 sizes=("Single", "Double", "King Size")),
            Leaf(("Bedding", "Pillows"), ("pillow", "memory foam pillow", "cushion", "pillow set"), 25),
            Leaf(("Furniture", "Chairs"), ("chair", "office chair", "dining chair", "armchair"), 120),
            Leaf(("Furniture", "Tables"), ("table", "coffee table", "dining table", "side table", "desk"), 150),
            Leaf(("Decor", "Lamps"), ("lamp", "table lamp", "floor lamp", "desk lamp", "led lamp"), 45),
            Leaf(("Decor", "Candles"), ("candle", "scented candle", "candle set", "tealights"), 15),
        ),
    ),
    Department(
        "Beauty & Personal Care",
        brands=("Lumiere Lab", "Petal & Pine", "Dermaform", "Velvetine", "PureRoot", "Everyday Basics"),
        attributes=("Hydrating", "Vegan", "Fragrance-Free", "Organic", "Sensitive Skin", "Long-Lasting", "Matte",
                    "Natural", "Anti-Ageing", "Travel Size", "SPF 30"),
        features=("Dermatologically tested", "Cruelty free", "Suitable for daily use"),
        sizes=("30ml", "50ml", "100ml", "200ml", "400ml"),
        colour_rate=0.15,
        leaves=(
            Leaf(("Skin Care", "Moisturisers"), ("moisturiser", "face cream", "day cream", "night cream"), 22),
            Leaf(("Skin Care", "Cleansers"), ("cleanser", "face wash", "cleansing gel", "micellar water"), 14),
            Leaf(("Makeup", "Lipstick"), ("lipstick", "lip gloss", "liquid lipstick", "lip tint"), 15),
            Leaf(("Makeup", "Foundation"), ("foundation", "bb cream", "concealer", "tinted moisturiser"), 25),
            Leaf(("Hair Care", "Shampoo"), ("shampoo", "conditioner", "dry shampoo", "shampoo and conditioner set"), 10),
            Leaf(("Fragrance", "Perfume"), ("perfume", "eau de parfum", "eau de toilette", "body mist"), 55),
        ),
    ),
    Department(
        "Sports & Outdoors",
        brands=("Peakline", "Summit Gear", "Trailhead", "Ironclad Fitness", "Velo Nova", "Kestrel"),
        attributes=("Lightweight", "Waterproof", "Non-Slip", "Adjustable", "Foldable", "Durable", "Insulated",
                    "Breathable", "Compact", "Professional"),
        features=("Suitable for beginners and pros", "Easy to carry", "Tested outdoors"),
        colour_rate=0.5,
        leaves=(
            Leaf(("Fitness", "Yoga Mats"), ("yoga mat", "exercise mat", "pilates mat", "gym mat"), 30),
            Leaf(("Fitness", "Dumbbells & Weights"), ("dumbbells", "kettlebell", "weight set", "adjustable dumbbells"), 60),
            Leaf(("Camping", "Tents"), ("tent", "2-person tent", "4-person tent", "pop-up tent", "camping tent"), 120),
            Leaf(("Camping", "Sleeping Bags"), ("sleeping bag", "mummy sleeping bag", "camping sleeping bag", "sleeping mat"), 60),
            Leaf(("Cycling", "Bike Helmets"), ("bike helmet", "cycling helmet", "mtb helmet"), 50),
            Leaf(("Cycling", "Bike Lights"), ("bike light", "rear light", "front light set"), 25),
            Leaf(("Team Sports", "Footballs"), ("football", "soccer ball", "training ball", "match ball"), 25),
        ),
    ),
    Department(
        "Toys & Games",
        brands=("Brickland", "Playfold", "Tinker Tots", "Wonderbox", "Marble & Co"),
        attributes=("Educational", "Wooden", "Ages 3+", "Ages 8+", "Family", "Creative", "Classic", "Deluxe",
                    "Travel", "Battery-Operated"),
        features=("Great gift idea", "Hours of fun", "Safety tested"),
        colour_rate=0.2,
        leaves=(
            Leaf(("Building Toys",), ("building blocks", "construction set", "brick set", "magnetic tiles"), 35),
            Leaf(("Board Games",), ("board game", "strategy game", "card game", "party game"), 28),
            Leaf(("Puzzles",), ("jigsaw puzzle", "1000 piece puzzle", "3d puzzle", "puzzle"), 15),
            Leaf(("Dolls",), ("doll", "fashion doll", "baby doll", "dollhouse"), 25),
            Leaf(("Remote Control",), ("rc car", "remote control car", "drone", "rc helicopter"), 55),
        ),
    ),
    Department(
        "Books",
        brands=("Harbor Press", "Bluefield Books", "Quillstone", "Northlight Publishing", "Paper Lantern"),
        attributes=("Paperback", "Hardcover", "Illustrated", "Large Print", "Bestselling", "Boxed Set",
                    "Revised Edition", "Signed Edition"),
        features=("English edition", "Printed on recycled paper", "Perfect for readers of all ages"),
        colour_rate=0.0,
        price_sigma=0.35,
        leaves=(
            Leaf(("Fiction", "Mystery & Thriller"), ("mystery novel", "crime thriller", "detective novel", "thriller"), 12),
            Leaf(("Fiction", "Romance"), ("romance novel", "love story", "romantic comedy novel"), 10),
            Leaf(("Fiction", "Science Fiction"), ("science fiction novel", "sci-fi novel", "space opera", "dystopian novel"), 12),
            Leaf(("Non-Fiction", "Cookbooks"), ("cookbook", "recipe book", "baking book", "vegan cookbook"), 22),
            Leaf(("Non-Fiction", "Biographies"), ("biography", "memoir", "autobiography"), 16),
            Leaf(("Children's Books",), ("picture book", "children's book", "bedtime stories", "story book"), 9),
        ),
    ),
    Department(
        "Grocery",
        brands=("Golden Acre", "Farmhouse Pantry", "Roast & Co", "Highland Leaf", "Everyday Basics"),
        attributes=("Organic", "Fair Trade", "Gluten-Free", "Vegan", "Family Size", "Dark Roast", "Extra Virgin",
                    "Sea Salt", "Sugar-Free", "Whole Grain"),
        features=("Store in a cool, dry place", "Resealable pack", "Sustainably sourced"),
        sizes=("100g", "250g", "500g", "1kg", "Pack of 6", "Pack of 12"),
        colour_rate=0.0,
        price_sigma=0.35,
        leaves=(
            Leaf(("Coffee & Tea", "Coffee"), ("coffee beans", "ground coffee", "espresso beans", "coffee pods"), 12),
            Leaf(("Coffee & Tea", "Tea"), ("green tea", "black tea", "herbal tea", "tea bags"), 6),
            Leaf(("Snacks", "Crisps"), ("crisps", "potato chips", "tortilla chips", "popcorn"), 3),
            Leaf(("Snacks", "Chocolate"), ("chocolate bar", "dark chocolate", "milk chocolate", "chocolate box"), 5),
            Leaf(("Pantry", "Pasta"), ("pasta", "spaghetti", "penne", "fusilli"), 3),
            Leaf(("Pantry", "Olive Oil"), ("olive oil", "extra virgin olive oil", "cooking oil"), 9),
        ),
    ),
    Department(
        "Pet Supplies",
        brands=("Happy Paws", "Whisker & Tail", "Barkley", "Furbright", "Everyday Basics"),
        attributes=("Grain-Free", "Natural", "Durable", "Adult", "Puppy", "Senior", "Chicken", "Salmon",
                    "Interactive", "Washable"),
        features=("Vet approved", "Made with natural ingredients", "Easy to clean"),
        colour_rate=0.2,
        leaves=(
            Leaf(("Dogs", "Dog Food"), ("dog food", "dry dog food", "wet dog food", "dog treats"), 30,
                 sizes=("400g", "2kg", "7.5kg", "12kg")),
            Leaf(("Dogs", "Dog Toys"), ("dog toy", "chew toy", "rope toy", "squeaky toy", "fetch ball"), 10),
            Leaf(("Dogs", "Leads & Collars"), ("dog lead", "collar", "harness", "retractable lead"), 18),
            Leaf(("Cats", "Cat Food"), ("cat food", "dry cat food", "wet cat food", "cat treats"), 20,
                 sizes=("400g", "2kg", "4kg", "10kg")),
            Leaf(("Cats", "Cat Litter"), ("cat litter", "clumping litter", "litter tray"), 15),
            Leaf(("Cats", "Scratching Posts"), ("scratching post", "cat tree", "scratcher"), 40),
        ),
    ),
    Department(
        "Jewellery & Watches",
        brands=("Aurelle", "Silverleaf", "Kronwald", "Lumio", "Maple & Moss"),
        attributes=("Sterling Silver", "Gold Plated", "Stainless Steel", "Leather Strap", "Minimalist", "Handmade",
                    "Adjustable", "Waterproof", "Rose Gold"),
        features=("Presented in a gift box", "Hypoallergenic", "1-year guarantee"),
        colour_rate=0.1,
        price_sigma=0.6,
        leaves=(
            Leaf(("Watches",), ("watch", "wristwatch", "smartwatch", "chronograph watch"), 120),
            Leaf(("Necklaces",), ("necklace", "pendant necklace", "chain necklace", "choker"), 45),
            Leaf(("Earrings",), ("earrings", "stud earrings", "hoop earrings", "drop earrings"), 30),
            Leaf(("Rings",), ("ring", "engagement ring", "stacking ring", "signet ring"), 60),
        ),
    ),
)

# Items bought together with (not instead of) items of the key category; the
# search judgments label such pairs "complement".
COMPLEMENTS: dict[str, tuple[str, ...]] = {
    "Electronics > Phones > Smartphones": ("Electronics > Phones > Phone Cases", "Electronics > Phones > Chargers & Cables",
                                           "Electronics > Audio > Headphones"),
    "Electronics > Computers > Laptops": ("Electronics > Computers > Keyboards & Mice", "Electronics > Computers > Monitors"),
    "Electronics > TV & Video > Televisions": ("Electronics > Audio > Speakers",),
    "Electronics > Cameras > Digital Cameras": ("Electronics > Phones > Chargers & Cables",),
    "Clothing > Women > Dresses": ("Shoes > Heels", "Jewellery & Watches > Necklaces", "Jewellery & Watches > Earrings"),
    "Clothing > Men > Shirts": ("Clothing > Men > Trousers",),
    "Clothing > Men > Trousers": ("Clothing > Men > Shirts",),
    "Home & Kitchen > Kitchen > Cookware": ("Home & Kitchen > Kitchen > Tableware", "Grocery > Pantry > Olive Oil"),
    "Home & Kitchen > Kitchen > Small Appliances": ("Grocery > Coffee & Tea > Coffee",),
    "Grocery > Coffee & Tea > Coffee": ("Home & Kitchen > Kitchen > Small Appliances", "Home & Kitchen > Kitchen > Tableware"),
    "Home & Kitchen > Bedding > Bed Sheets": ("Home & Kitchen > Bedding > Pillows",),
    "Home & Kitchen > Furniture > Tables": ("Home & Kitchen > Furniture > Chairs", "Home & Kitchen > Decor > Lamps"),
    "Home & Kitchen > Furniture > Chairs": ("Home & Kitchen > Furniture > Tables",),
    "Sports & Outdoors > Camping > Tents": ("Sports & Outdoors > Camping > Sleeping Bags",),
    "Sports & Outdoors > Camping > Sleeping Bags": ("Sports & Outdoors > Camping > Tents",),
    "Sports & Outdoors > Cycling > Bike Helmets": ("Sports & Outdoors > Cycling > Bike Lights",),
    "Sports & Outdoors > Fitness > Yoga Mats": ("Sports & Outdoors > Fitness > Dumbbells & Weights",),
    "Pet Supplies > Dogs > Dog Food": ("Pet Supplies > Dogs > Dog Toys", "Pet Supplies > Dogs > Leads & Collars"),
    "Pet Supplies > Cats > Cat Food": ("Pet Supplies > Cats > Cat Litter", "Pet Supplies > Cats > Scratching Posts"),
    "Beauty & Personal Care > Makeup > Foundation": ("Beauty & Personal Care > Skin Care > Cleansers",),
    "Toys & Games > Board Games": ("Toys & Games > Puzzles",),
    "Grocery > Pantry > Pasta": ("Grocery > Pantry > Olive Oil",),
    "Grocery > Pantry > Olive Oil": ("Grocery > Pantry > Pasta",),
}
