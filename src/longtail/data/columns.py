"""Column names of every table, in one place.

Loaders map their sources onto these names; nothing else spells them out.
"""

# interactions
USER_ID = "user_id"
ITEM_ID = "item_id"
TIMESTAMP = "timestamp"
EVENT = "event"
REGION = "region"
QUERY = "query"
POSITION = "position"
VALUE = "value"
SESSION_ID = "session_id"

# items
TITLE = "title"
DESCRIPTION = "description"
CATEGORY = "category"
BRAND = "brand"
PRICE = "price"

# judgments (search relevance)
LABEL = "label"

INTERACTION_REQUIRED = (USER_ID, ITEM_ID, TIMESTAMP, EVENT)
INTERACTION_OPTIONAL = (REGION, QUERY, POSITION, VALUE, SESSION_ID)
ITEM_REQUIRED = (ITEM_ID, TITLE)
ITEM_OPTIONAL = (DESCRIPTION, CATEGORY, BRAND, PRICE)
USER_REQUIRED = (USER_ID,)
USER_OPTIONAL = (REGION,)
JUDGMENT_REQUIRED = (QUERY, ITEM_ID, LABEL)

DEFAULT_EVENT_ORDER = ("view", "click", "cart", "purchase")
DEFAULT_CATEGORY_SEP = " > "
