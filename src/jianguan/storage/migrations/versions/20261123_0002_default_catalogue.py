"""default catalogue

The categories the network starts with, inserted once: the nine categories made mandatory in
2007 (agricultural inputs, one category then, are four rows here because four different
products with different rules hide behind the name), and the categories that joined later.
Later edits are the operator's, through the catalogue service, and this migration never
touches the rows again.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 18:00:00
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

from jianguan.storage.base import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# A snapshot of the table as this revision knows it, not the model (which may change later).
categories = sa.table(
    "categories",
    sa.column("code", sa.String),
    sa.column("name_zh", sa.String),
    sa.column("name_en", sa.String),
    sa.column("agency", sa.String),
    sa.column("mandatory_since", sa.Integer),
    sa.column("description", sa.Text),
    sa.column("is_active", sa.Boolean),
    sa.column("created_at", UTCDateTime),
    sa.column("updated_at", UTCDateTime),
)

DEFAULT_CATEGORIES = (
    # code, 中文, English, agency, mandatory since
    ("food", "食品", "food", "quality", 2007),
    ("appliance", "家用电器", "household appliances", "quality", 2007),
    ("panel", "人造板", "wood-based panels", "quality", 2007),
    ("cable", "电线电缆", "wire and cable", "quality", 2007),
    ("fertiliser", "化肥", "fertiliser", "agriculture", 2007),
    ("pesticide", "农药", "pesticide", "agriculture", 2007),
    ("seed", "种子", "seed", "agriculture", 2007),
    ("feed", "饲料", "feed", "agriculture", 2007),
    ("gas_appliance", "燃气器具", "gas appliances", "quality", 2007),
    ("protective", "劳动防护用品", "labour-protection goods", "quality", 2007),
    ("electric_blanket", "电热毯", "electric blankets", "quality", 2007),
    ("cosmetics", "化妆品", "cosmetics", "food_drug", 2007),
    ("building", "建筑材料", "building materials", "quality", None),
    ("drug", "药品", "drugs", "food_drug", None),
    ("consumer", "日用消费品", "daily consumer goods", "market", None),
    ("produce", "蔬菜及初级农产品", "vegetables and primary farm produce", "agriculture", None),
)
AGRICULTURAL_INPUTS = ("fertiliser", "pesticide", "seed", "feed")


def upgrade() -> None:
    now = dt.datetime.now(dt.UTC)
    rows = []
    for code, name_zh, name_en, agency, mandatory_since in DEFAULT_CATEGORIES:
        description = "农资（2007 年强制入网的九类产品之一）" if code in AGRICULTURAL_INPUTS else ""
        rows.append({
            "code": code, "name_zh": name_zh, "name_en": name_en, "agency": agency,
            "mandatory_since": mandatory_since, "description": description, "is_active": True,
            "created_at": now, "updated_at": now,
        })
    op.bulk_insert(categories, rows)


def downgrade() -> None:
    op.execute(categories.delete().where(categories.c.code.in_([row[0] for row in DEFAULT_CATEGORIES])))
