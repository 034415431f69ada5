"""The demo network's applications to join online (网上申请入网), in two states.

- 栾城 鑫农生物肥料 (fertiliser, 栾城区): sent, waiting for the agriculture office of 栾城区;
- 长安 福味食品 (food, 长安区): sent, and the quality office of 石家庄 asked for corrections.

Each application's secret is derived from the secret key, so ``jianguan demo seed`` prints the
same ``application NUMBER SECRET`` lines every time it is run.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianguan.accounts.models import Role
from jianguan.accounts.principal import Principal
from jianguan.applications import services as applications
from jianguan.applications.documents import Upload
from jianguan.applications.models import Application
from jianguan.audit.services import Actor
from jianguan.catalogue.services import get_category_by_code
from jianguan.config import Settings

OPERATOR = Principal(kind="system", id=0, name="demo", role=Role.OPERATOR)
# A one-page PDF: what the demo's applicants attach as their business licence.
LICENCE_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
               b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
# key: (credit-code serial, name, county, category, address, licence, contact, mobile, product)
APPLICANTS = {
    "xinnong": (41, "栾城鑫农生物肥料有限公司", "130111", "fertiliser", "栾城区柳林屯乡工业园 6 号", "XK13-001-00907",
                "周海燕", "13831190876", ("鑫农牌生物有机肥", "40 kg")),
    "fuwei": (42, "石家庄福味食品有限公司", "130102", "food", "长安区谈固东街 55 号", "SC10613010200417",
              "陈立新", "13933165432", ("福味牌香油", "500 mL")),
}


def demo_secret(settings: Settings, key: str) -> str:
    digest = hashlib.sha256(f"{settings.secret_key.get_secret_value()}:demo-application:{key}".encode()).hexdigest()
    return digest[:12]


def demo_applications(session: Session, *, settings: Settings) -> None:
    """Send the demo's applications and take the corrections decision (see the module doc)."""
    from jianguan.demo.seed import demo_credit_code  # the demo's one rule for well-formed credit codes

    sent = {}
    for key, (serial, name, county, category, address, licence, contact, mobile, product) in APPLICANTS.items():
        category_id = get_category_by_code(session, category).id
        form = applications.ApplicationForm(
            credit_code=demo_credit_code(serial, county), name=name, region_code=county, category_id=category_id,
            address=address, licence_number=licence, contact_name=contact, mobile=mobile,
            email=f"{key}@example.com", products=[applications.ProductLine(product[0], product[1], category_id)])
        sent[key] = applications.submit(session, actor=Actor("anonymous", "demo"), form=form,
                                        documents=[Upload("business_licence", LICENCE_PDF)],
                                        document_dir=settings.application_document_dir,
                                        secret=demo_secret(settings, key)).application
    applications.decide(session, actor=Actor("user:sjz.quality", "demo"), principal=OPERATOR,
                        application_id=sent["fuwei"].id, decision="corrections",
                        reason="请补充上传食品生产许可证（SC 证）扫描件。")


def application_lines(session: Session, settings: Settings) -> list[str]:
    """``application NUMBER SECRET`` for each demo application that exists."""
    lines = []
    for key, (_serial, name, *_rest) in APPLICANTS.items():
        application = session.scalars(select(Application).where(Application.name == name).limit(1)).first()
        if application is not None:
            lines.append(f"application {application.number} {demo_secret(settings, key)}")
    return lines
