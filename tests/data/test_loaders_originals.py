"""Named loaders pointed at folders laid out like the public originals (tiny files written here)."""

from __future__ import annotations

import importlib.util
from datetime import datetime, timezone
from pathlib import Path

import polars as pl
import pytest

from longtail.data import columns as C
from longtail.data import registry
from longtail.errors import InputError, LongtailError

UTC = timezone.utc


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_taobao_headerless_csv(tmp_path: Path) -> None:
    _write(
        tmp_path / "UserBehavior.csv",
        "1,2268318,2520377,pv,1511544070\n1,2333346,2520771,fav,1511561733\n2,2268318,2520377,buy,1511572885\n"
        "2,9,5,cart,1511572886\n",
    )
    ds = registry.load("taobao_userbehavior", path=tmp_path, n_rows=3)
    assert ds.interactions.height == 3
    assert ds.interactions.get_column(C.EVENT).to_list() == ["pv", "fav", "buy"]
    assert ds.interactions.get_column(C.TIMESTAMP)[0] == datetime.fromtimestamp(1511544070, tz=UTC)
    assert ds.items.get_column(C.CATEGORY).to_list() == ["2520377", "2520771"]


def test_online_retail_csv_export(tmp_path: Path) -> None:
    _write(
        tmp_path / "Online Retail.csv",
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
        "536365,85123A,WHITE HANGING HEART,6,12/1/2010 8:26,2.55,17850.0,United Kingdom\n"
        "C536379,85123A,WHITE HANGING HEART,-1,6/1/2011 9:41,2.55,17850.0,United Kingdom\n"
        "536380,22086,PAPER CHAIN KIT,3,6/2/2011 10:00,2.95,,United Kingdom\n"
        "536381,,PAPER CHAIN KIT,2,6/3/2011 11:00,2.95,12345,France\n"
        "536382,,UNKNOWN THING,1,6/3/2011 11:00,1.00,12345,France\n",
    )
    ds = registry.load("online_retail_uci", path=tmp_path)
    inter = ds.interactions
    assert inter.get_column(C.EVENT).to_list() == ["purchase", "return", "purchase"]
    assert inter.get_column(C.TIMESTAMP).to_list() == [
        datetime(2010, 12, 1, 8, 26, tzinfo=UTC),
        datetime(2011, 6, 1, 8, 41, tzinfo=UTC),  # BST
        datetime(2011, 6, 3, 10, tzinfo=UTC),
    ]
    assert inter.get_column(C.ITEM_ID).to_list() == ["85123A", "85123A", "22086"]  # code from its description
    assert inter.get_column(C.USER_ID).to_list() == [17850, 17850, 12345]
    assert ds.meta["dropped_rows"] == {
        "no StockCode, and no Description naming one": 1,
        "no CustomerID (guest checkout)": 1,
    }
    assert ds.items.sort(C.ITEM_ID).get_column(C.PRICE).to_list() == [2.95, 2.55]


def test_online_retail_ii_csv_names(tmp_path: Path) -> None:
    _write(
        tmp_path / "online_retail_II.csv",
        "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n"
        "489434,85048,GLASS BALL,12,2009-12-01 07:45:00,6.95,13085.0,United Kingdom\n",
    )
    ds = registry.load("online_retail_ii", path=tmp_path)
    assert ds.interactions.row(0, named=True)[C.SESSION_ID] == "489434"
    assert ds.interactions.row(0, named=True)[C.VALUE] == pytest.approx(12 * 6.95)


@pytest.mark.skipif(importlib.util.find_spec("fastexcel") is not None, reason="fastexcel is installed")
def test_online_retail_workbook_without_fastexcel_says_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "Online Retail.xlsx").write_bytes(b"PK\x03\x04")
    with pytest.raises(LongtailError, match="fastexcel"):
        registry.load("online_retail_uci", path=tmp_path)


def test_esci_official_pair(tmp_path: Path) -> None:
    pl.DataFrame(
        {
            "example_id": [1, 2, 3],
            "query": ["red mug", "taza roja", "red mug"],
            "query_id": [10, 11, 10],
            "product_id": ["B1", "B1", "B2"],
            "product_locale": ["us", "es", "us"],
            "esci_label": ["E", "S", "C"],
            "small_version": [1, 0, 1],
            "large_version": [1, 1, 1],
            "split": ["train", "test", "train"],
        }
    ).write_parquet(tmp_path / "shopping_queries_dataset_examples.parquet")
    pl.DataFrame(
        {
            "product_id": ["B1", "B1", "B2"],
            "product_title": ["Red mug", "Taza roja", "Saucer"],
            "product_description": [None, None, None],
            "product_bullet_point": ["a", "b", "c"],
            "product_brand": ["X", "X", "Y"],
            "product_color": ["red", "rojo", None],
            "product_locale": ["es", "us", "us"],
        },
        schema_overrides={"product_description": pl.String},
    ).write_parquet(tmp_path / "shopping_queries_dataset_products.parquet")
    ds = registry.load("esci_sample", path=tmp_path)
    assert ds.judgments is not None
    assert ds.judgments.get_column(C.REGION).to_list() == ["us", "es", "us"]
    assert ds.judgments.get_column("split").to_list() == ["train", "test", "train"]
    # B1 is listed in two locales: the us listing is kept, the other counted
    titles = dict(zip(ds.items.get_column(C.ITEM_ID), ds.items.get_column(C.TITLE)))
    assert titles == {"B1": "Taza roja", "B2": "Saucer"}
    assert sum(ds.meta["dropped_rows"].values()) == 1


def test_instacart_original_csvs(tmp_path: Path) -> None:
    _write(
        tmp_path / "products.csv", 'product_id,product_name,aisle_id,department_id\n1,"Milk, whole",1,1\n2,Bread,2,2\n'
    )
    _write(tmp_path / "aisles.csv", "aisle_id,aisle\n1,milk\n2,bread\n")
    _write(tmp_path / "departments.csv", "department_id,department\n1,dairy eggs\n2,bakery\n")
    _write(
        tmp_path / "orders.csv",
        "order_id,user_id,eval_set,order_number,order_dow,order_hour_of_day,days_since_prior_order\n"
        "10,7,prior,1,0,8,\n11,7,prior,2,3,9,5.0\n12,7,train,3,4,10,2.0\n13,7,test,4,4,10,1.0\n",
    )
    header = "order_id,product_id,add_to_cart_order,reordered\n"
    _write(tmp_path / "order_products__prior.csv", header + "10,1,1,0\n11,1,1,1\n11,2,2,0\n99,2,1,0\n")
    _write(tmp_path / "order_products__train.csv", header + "12,2,1,1\n")
    ds = registry.load("instacart", path=tmp_path)
    assert ds.items.get_column(C.CATEGORY).to_list() == ["dairy eggs > milk", "bakery > bread"]
    assert ds.items.get_column(C.TITLE).to_list() == ["Milk, whole", "Bread"]
    inter = ds.interactions.sort(C.SESSION_ID, C.POSITION)
    assert inter.get_column(C.SESSION_ID).to_list() == [10, 11, 11, 12]
    day0 = datetime(2017, 1, 1, tzinfo=UTC)
    assert inter.get_column(C.TIMESTAMP).to_list() == [
        day0.replace(hour=8), day0.replace(day=6, hour=9), day0.replace(day=6, hour=9), day0.replace(day=8, hour=10)
    ]
    assert ds.meta["dropped_rows"] == {"order line whose order is not in orders.csv": 1}


def test_diginetica_original_csvs(tmp_path: Path) -> None:
    _write(
        tmp_path / "train-item-views.csv",
        "sessionId;userId;itemId;timeframe;eventdate\n1;NA;81766;526309;2016-05-09\n2;278;31331;1000;2016-05-10\n",
    )
    _write(
        tmp_path / "train-purchases.csv",
        "sessionId;userId;timeframe;eventdate;ordernumber;itemId\n2;278;5000;2016-05-10;1;31331\n",
    )
    _write(tmp_path / "products.csv", "itemId;pricelog2;product.name.tokens\n81766;10;4,5,6\n31331;8;7\n")
    _write(tmp_path / "product-categories.csv", "itemId;categoryId\n81766;3\n31331;4\n")
    ds = registry.load("diginetica_sample", path=tmp_path)
    assert ds.event_order == ("view", "purchase")
    inter = ds.interactions
    assert inter.get_column(C.USER_ID).to_list() == [-1, 278, 278]
    assert inter.get_column(C.EVENT).to_list() == ["view", "view", "purchase"]
    assert inter.get_column(C.TIMESTAMP)[2] == datetime(2016, 5, 10, 0, 0, 5, tzinfo=UTC)
    assert ds.items.get_column(C.CATEGORY).to_list() == ["3", "4"]
    assert ds.unknown_item_rows == 0


def test_amazon_and_flipkart_original_csvs(tmp_path: Path) -> None:
    amazon = tmp_path / "amazon"
    amazon.mkdir()
    _write(
        amazon / "amazon_co-ecommerce_sample.csv",
        "uniq_id,product_name,manufacturer,price,number_available_in_stock,number_of_reviews,"
        "number_of_answered_questions,average_review_rating,amazon_category_and_sub_category\n"
        'a1,"Train, big",Hornby,£3.42,5 new,"1,204",1,4.9 out of 5 stars,Hobbies > Trains\n'
        "a2,Doll,,,,,,,\n",
    )
    items = registry.load("amazon_uk_products", path=amazon).items
    assert items.row(0, named=True) == {
        C.ITEM_ID: "a1", C.TITLE: "Train, big", C.CATEGORY: "Hobbies > Trains", C.BRAND: "Hornby", C.PRICE: 3.42,
        "number_of_reviews": 1204, "number_of_answered_questions": 1, "average_rating": 4.9,
    }
    assert items.row(1, named=True)[C.PRICE] is None

    flipkart = tmp_path / "flipkart"
    flipkart.mkdir()
    _write(
        flipkart / "flipkart_com-ecommerce_sample.csv",
        "uniq_id,crawl_timestamp,product_url,product_name,product_category_tree,pid,retail_price,discounted_price,"
        "image,is_FK_Advantage_product,description,product_rating,overall_rating,brand,product_specifications\n"
        'f1,t,u,Shorts,"[""Clothing >> Women\'s Clothing  >> Shorts""]",P1,999,379,i,False,d,'
        "No rating available,No rating available,Alisha,s\n"
        'f2,t,u,Paper Weight,"[""Paper Weight...""]",P2,10,9,i,True,d,4.5,4.5,,s\n',
    )
    items = registry.load("flipkart_products", path=flipkart).items
    assert items.get_column(C.CATEGORY).to_list() == ["Clothing > Women's Clothing > Shorts", None]
    assert items.get_column("rating").to_list() == [None, 4.5]
    assert items.get_column("is_fk_advantage").to_list() == [False, True]


def test_folder_without_the_files_or_missing_folder(tmp_path: Path) -> None:
    _write(tmp_path / "notes.txt", "nothing here")
    with pytest.raises(LongtailError, match=r"expected interactions.parquet \(local copy\) or .*UserBehavior.csv"):
        registry.load("taobao_userbehavior", path=tmp_path)
    with pytest.raises(LongtailError, match="not found"):
        registry.load("esci_sample", path=tmp_path / "absent")


def test_original_with_a_renamed_column_is_an_input_error(tmp_path: Path) -> None:
    header = "Invoice,Stock,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n"
    _write(tmp_path / "online_retail_II.csv", header + "1,2,3,4,5,6,7,8\n")
    with pytest.raises(InputError) as err:
        registry.load("online_retail_ii", path=tmp_path)
    assert err.value.column == "StockCode" and "online_retail_II.csv" in str(err.value)
