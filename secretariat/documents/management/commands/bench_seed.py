"""`manage.py bench_seed --documents N`: a synthetic corpus for benchmarks ONLY.

Writes documents, versions with text, register entries and search index rows straight into the
tables with bulk inserts (no services, no audit events, no files: every version points at one
placeholder stored file). Never run it on a database holding real records: it refuses unless
`--yes` is given or the node runs in DEBUG or DEMO mode.

The text imitates the corpus of MEASURED.md: subjects of 10–25 words and bodies of 150–400 words
drawn from a Zipf-like vocabulary of administrative Vietnamese, plus rare names of people and
places, so that common terms (công tác, triển khai) and rare ones (a person's name) behave as in
real registers."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from secretariat.core import clock
from secretariat.documents.models import (
    Document,
    DocumentType,
    DocumentVersion,
    Register,
    RegisterEntry,
    RegisterKind,
    SearchEntry,
    StoredFile,
)
from secretariat.documents.search.text import clean
from secretariat.orgs.models import Unit, UnitKind

# Ordered from most to least frequent: the rank gives the Zipf weight.
VOCABULARY = """
công tác|triển khai|thực hiện|cán bộ|đảng viên|nhiệm vụ|kế hoạch|chỉ đạo|tổ chức|năm|
ban thường vụ|tỉnh ủy|huyện ủy|đảng ủy|chi bộ|nghị quyết|quyết định|hướng dẫn|thông báo|
báo cáo|kết quả|tình hình|phát triển|kinh tế|xã hội|quốc phòng|an ninh|chính trị|tư tưởng|
tuyên truyền|kiểm tra|giám sát|kỷ luật|đảng|nhân dân|ủy ban|mặt trận|đoàn thể|thanh niên|
phụ nữ|nông dân|cựu chiến binh|công đoàn|chính quyền|cơ sở|địa phương|phường|xã|thị trấn|
thôn|tổ dân phố|huyện|thành phố|tỉnh|trung ương|đại hội|hội nghị|nhiệm kỳ|khóa|lần thứ|
sơ kết|tổng kết|đánh giá|xếp loại|chất lượng|tổ chức cơ sở đảng|kết nạp|chuyển sinh hoạt|
đảng phí|học tập|quán triệt|chỉ thị|kết luận|quy định|quy chế|chương trình|đề án|phương án|
ngân sách|đầu tư|công trình|dự án|giải ngân|vốn|tài chính|thu chi|quyết toán|dự toán|
đất đai|quy hoạch|xây dựng|giao thông|thủy lợi|nông nghiệp|lâm nghiệp|cà phê|chè|rau|hoa|
du lịch|văn hóa|giáo dục|y tế|phòng chống dịch|môi trường|rừng|phòng cháy chữa cháy|
chuyển đổi số|cải cách hành chính|dân vận|khéo|nông thôn mới|đô thị|giảm nghèo|việc làm|
an sinh|chính sách|người có công|thương binh|liệt sĩ|dân tộc thiểu số|tôn giáo|biên giới|
hồ sơ|văn bản|công văn|tờ trình|biên bản|trình|đề nghị|phê duyệt|ban hành|sửa đổi|bổ sung|
nhưng|những|các|của|và|về|với|trong|theo|cho|đến|từ|được|để|có|không|đã|sẽ|đang|này|
tăng cường|nâng cao|đẩy mạnh|đổi mới|củng cố|kiện toàn|sắp xếp|tinh gọn|bộ máy|biên chế|
""".replace("\n", "").split("|")
VOCABULARY = [word for word in VOCABULARY if word]
PLACES = [
    "Lâm Đồng",
    "Đà Lạt",
    "Bảo Lộc",
    "Lạc Dương",
    "Đơn Dương",
    "Đức Trọng",
    "Di Linh",
    "Bảo Lâm",
    "Đạ Huoai",
    "Đạ Tẻh",
    "Cát Tiên",
    "Lâm Hà",
    "Đam Rông",
    "Xuân Hương",
    "Cam Ly",
    "Lang Biang",
    "Tuyền Lâm",
    "Prenn",
    "Đạ Sar",
    "Liên Nghĩa",
    "Phú Hội",
    "Hiệp Thạnh",
    "Đinh Văn",
    "Nam Ban",
    "Lộc Phát",
    "B'Lao",
    "Xuân Trường",
    "Trạm Hành",
    "Tà Nung",
]
FAMILY = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
    "K'",
    "Ka",
]
MIDDLE = [
    "Văn",
    "Thị",
    "Hữu",
    "Đức",
    "Minh",
    "Ngọc",
    "Thanh",
    "Quang",
    "Xuân",
    "Hồng",
    "Kim",
    "Anh",
]
GIVEN = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Hà",
    "Hải",
    "Hạnh",
    "Hiếu",
    "Hoa",
    "Hùng",
    "Hương",
    "Khoa",
    "Lan",
    "Linh",
    "Long",
    "Mai",
    "Nam",
    "Nga",
    "Phong",
    "Phúc",
    "Quân",
    "Sơn",
    "Tâm",
    "Thắng",
    "Thảo",
    "Trung",
    "Tuấn",
    "Việt",
    "Xuân",
    "Yến",
    "Brông",
    "Điểu",
    "Ha Sol",
]
PLACEHOLDER_SHA = "0" * 63 + "b"  # the one stored-file row every benchmark version points at


class Zipf:
    """Words drawn with weight 1/rank: a few very common words, a long tail of rare ones."""

    def __init__(self, words: list[str], rng: random.Random) -> None:
        self.words = words
        self.weights = list(itertools.accumulate(1.0 / (rank + 1) for rank in range(len(words))))
        self.rng = rng

    def take(self, n: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.weights, k=n)


class Command(BaseCommand):
    help = "BENCHMARK DATA ONLY: bulk-insert a synthetic Vietnamese document corpus and index it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--documents", type=int, required=True)
        parser.add_argument("--units", type=int, default=0, help="units to create if none exist")
        parser.add_argument("--years", type=int, default=5)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--batch", type=int, default=2000)
        parser.add_argument("--yes", action="store_true", help="yes, this is a throwaway database")

    def handle(self, *args: Any, **options: Any) -> None:
        if not (options["yes"] or settings.DEBUG or getattr(settings, "DEMO", False)):
            raise CommandError(
                "bench_seed writes synthetic documents; run it only on a throwaway database "
                "(pass --yes, or run in DEBUG or DEMO mode)."
            )
        if options["documents"] < 1 or options["years"] < 1:
            raise CommandError("--documents and --years must be positive")
        rng = random.Random(options["seed"])  # noqa: S311 (synthetic text, reproducible by seed)
        units = self._units(options["units"])
        types = list(DocumentType.objects.order_by("ordering"))
        if not types:
            raise CommandError("the document type catalogue is empty: run migrate first")
        placeholder, _ = StoredFile.objects.get_or_create(
            sha256=PLACEHOLDER_SHA,
            defaults={
                "size": 0,
                "content_type": "application/pdf",
                "wrapped_key": b"",
                "master_key_id": "bench",
            },
        )
        seeder = _Seeder(rng, units, types, placeholder, options["years"])
        total = options["documents"]
        # Creation times ascending, so that insertion order follows the date as in real life.
        now = clock.now()
        span = dt.timedelta(days=365 * options["years"]).total_seconds()
        moments = sorted(now - dt.timedelta(seconds=rng.random() * span) for _ in range(total))
        done = 0
        for start in range(0, total, options["batch"]):
            seeder.write(moments[start : start + options["batch"]])
            done += len(moments[start : start + options["batch"]])
            self.stdout.write(f"{done}/{total} documents", ending="\r")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # Fresh statistics: the search plan is chosen from the planner's term estimates.
                cursor.execute("ANALYZE documents_searchentry")
                cursor.execute("ANALYZE documents_document")
        self.stdout.write(f"\nseeded {total} benchmark documents over {len(units)} units")

    def _units(self, wanted: int) -> list[Unit]:
        units = list(Unit.objects.filter(active=True).order_by("path"))
        if units and (not wanted or len(units) >= wanted):
            return units[:wanted] if wanted else units
        root = units[0] if units else None
        if root is None:
            root = Unit.objects.add_root(
                create_kwargs={
                    "name": "Tỉnh ủy Lâm Đồng (benchmark)",
                    "kind": UnitKind.PROVINCIAL_COMMITTEE,
                    "code": "000.00.00.B00",
                    "abbreviation": "TU",
                }
            )
            units = [root]
        index = len(units)
        while len(units) < max(wanted, 2):
            parent = Unit.objects.get(pk=root.pk)
            units.append(
                Unit.objects.add_child(
                    parent,
                    create_kwargs={
                        "name": f"Đảng ủy xã {PLACES[index % len(PLACES)]} {index}",
                        "kind": UnitKind.COMMUNE_COMMITTEE,
                        "code": f"9{index // 100 % 100:02d}.{index % 100:02d}.00.B00",
                        "abbreviation": "ĐU",
                    },
                )
            )
            index += 1
        return units


class _Seeder:
    def __init__(
        self,
        rng: random.Random,
        units: list[Unit],
        types: list[DocumentType],
        placeholder: StoredFile,
        years: int,
    ) -> None:
        self.rng = rng
        self.units = units
        self.types = types
        self.placeholder = placeholder
        self.words = Zipf(VOCABULARY, rng)
        self.registers: dict[tuple[Any, int, str], Register] = {}

    def person(self) -> str:
        r = self.rng
        return f"{r.choice(FAMILY)} {r.choice(MIDDLE)} {r.choice(GIVEN)}"

    def sentence(self, n: int) -> str:
        """About `n` syllables (what a Vietnamese reader counts as words)."""
        words: list[str] = []
        syllables = 0
        while syllables < n:
            entry = self.words.take(1)[0]
            words.append(entry)
            syllables += len(entry.split())
        # Rare terms: a place or a person now and then.
        if self.rng.random() < 0.3:
            words.insert(self.rng.randrange(len(words) + 1), self.rng.choice(PLACES))
        if self.rng.random() < 0.1:
            words.insert(self.rng.randrange(len(words) + 1), self.person())
        text = " ".join(words)
        return text[:1].upper() + text[1:]

    def body(self) -> str:
        target = self.rng.randint(150, 400)
        sentences: list[str] = []
        count = 0
        while count < target:
            sentence = self.sentence(self.rng.randint(8, 20))
            sentences.append(sentence + ".")
            count += len(sentence.split())
        return " ".join(sentences)

    def register(self, unit: Unit, year: int, kind: str) -> Register:
        key = (unit.pk, year, kind)
        if key not in self.registers:
            register, _ = Register.objects.get_or_create(
                unit=unit,
                year=year,
                kind=kind,
                secret=False,
                defaults={"name": f"Sổ văn bản {RegisterKind(kind).label} {year}"},
            )
            self.registers[key] = register
        return self.registers[key]

    @transaction.atomic
    def write(self, moments: list[dt.datetime]) -> None:
        rng = self.rng
        documents: list[Document] = []
        versions: list[DocumentVersion] = []
        entries: list[RegisterEntry] = []
        search: list[SearchEntry] = []
        touched: set[Register] = set()
        for created in moments:
            unit = rng.choice(self.units)
            doc_type = rng.choice(self.types[:12])
            kind = rng.choice(RegisterKind.values)
            register = self.register(unit, created.year, kind)
            register.last_number += 1
            touched.add(register)
            abbreviation = doc_type.party_abbreviation or doc_type.state_abbreviation or "CV"
            notation = f"{register.last_number}-{abbreviation}/{unit.abbreviation}"
            issued = (created - dt.timedelta(days=rng.randint(0, 5))).date()
            subject = f"{doc_type.name} về {self.sentence(rng.randint(6, 18))}"
            issuer = f"{rng.choice(['Ban Thường vụ', 'Ban Tổ chức', 'Văn phòng'])} {unit.name}"
            body = self.body()
            document = Document(
                unit=unit,
                subject=subject,
                doc_type=doc_type,
                issuing_body=issuer,
                number=str(register.last_number),
                notation=notation,
                issued_on=issued,
                signer_name=self.person(),
                created_at=created,
            )
            documents.append(document)
            versions.append(
                DocumentVersion(
                    document=document,
                    number=1,
                    original=self.placeholder,
                    original_name="benchmark.pdf",
                    text=body,
                    created_at=created,
                )
            )
            entries.append(
                RegisterEntry(
                    register=register,
                    number=register.last_number,
                    registered_on=created.date(),
                    document=document,
                    notation=notation,
                    created_at=created,
                )
            )
            # The same text index_document would write (search/index.py), without a query per
            # document.
            title = "\n".join(
                part
                for part in (subject, notation, issuer, doc_type.name, document.signer_name)
                if part
            )
            search.append(
                SearchEntry(
                    document=document,
                    unit=unit,
                    doc_type=doc_type,
                    created_at=created,
                    doc_date=issued,
                    title=clean(title),
                    body=clean(body),
                )
            )
        Document.objects.bulk_create(documents)
        DocumentVersion.objects.bulk_create(versions)
        RegisterEntry.objects.bulk_create(entries)
        SearchEntry.objects.bulk_create(search)
        for register in touched:
            Register.objects.filter(pk=register.pk).update(last_number=register.last_number)
