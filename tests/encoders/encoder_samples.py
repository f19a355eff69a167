"""Product titles and a tiny BERT config shared by the encoder tests."""

TITLES = [
    "Women's Slim Fit Stretch Denim Jeans High Waist Dark Blue Size 28",
    "Wireless Bluetooth 5.3 Earbuds with Charging Case, 40h Playtime, Black",
    "Stainless Steel Chef Knife 8 Inch Professional Kitchen Knife",
    "Organic Green Tea Bags, 100 Count, Caffeine Free Herbal Blend",
    "USB-C to USB-C Cable 2m 100W Fast Charging Braided Nylon",
    "Kids Waterproof Rain Jacket with Hood, Lightweight, Yellow, Age 6-7",
    "Non-Stick Frying Pan 28cm Induction Compatible Granite Coating",
    "Ergonomic Office Chair Mesh Back Lumbar Support Adjustable Armrests",
    "Mechanical Gaming Keyboard RGB Backlit Blue Switches UK Layout",
    "27 Inch 4K UHD Monitor IPS HDR10 with Height Adjustable Stand",
    "Yoga Mat Non Slip 6mm Extra Thick TPE with Carrying Strap Purple",
    "Men's Leather Hiking Boots Waterproof Ankle Support Brown Size 44",
    "Bamboo Cutting Board Set of 3 with Juice Groove",
    "LED Desk Lamp Dimmable Eye-Caring 5 Colour Modes USB Charging Port",
    "Dog Bed Large Orthopedic Memory Foam Washable Cover Grey",
    "Espresso Machine 15 Bar with Milk Frother Steam Wand Silver",
    "Garden Hose 50ft Expandable with 10 Function Spray Nozzle",
    "Cat Scratching Post Sisal Rope 80cm Tall Beige",
    "Ceramic Coffee Mug Set 4 x 350ml Dishwasher Safe Matte White",
    "Phone Case for iPhone 15 Pro Clear Shockproof MagSafe Compatible",
]

TINY_BERT = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64}
