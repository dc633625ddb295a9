"""`manage.py bench_seed --documents N`: a synthetic corpus for benchmarks ONLY.

Writes documents, versions with text, register entries and search index rows straight into the
tables (no services, no audit events, no files: every version points at one placeholder stored
file). Never run it on a database holding real records: it refuses unless `--yes` is given or the
node runs in DEBUG or DEMO mode.

The text imitates the corpus of MEASURED.md: subjects of 10–25 words and bodies of 150–400 words
drawn from a Zipf-like vocabulary of administrative Vietnamese with a long tail (places, people,
dates, amounts), so that common terms (công tác, triển khai) and rare ones (a person's name, a
small commune) behave as in real registers. `--units 500 --years 5` is the shape MEASURED.md
describes: a province committee, its committees and their cells; documents in time order, more of
them at the committees than in the cells.

On PostgreSQL the rows go in with COPY and, for a large load, the search table's text indexes are
dropped first and rebuilt once at the end (building a GIN index once is several times cheaper than
maintaining it row by row); the database is then vacuumed and analysed, as autovacuum would have
done on a real node, so that the planner's term statistics are fresh. One million documents take
about fifty minutes on two busy cores (docs/operations.md)."""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import itertools
import multiprocessing
import os
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, connections, models, transaction
from django.db.models.fields import AutoFieldMixin

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
    Urgency,
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
ứng dụng công nghệ thông tin|hạ tầng|điện lực|nước sạch|trường học|trạm y tế|bệnh viện|
tài nguyên|khoáng sản|thiên tai|sạt lở|lũ quét|hạn hán|mưa bão|cứu hộ cứu nạn|di dời|
bồi thường|giải phóng mặt bằng|tái định cư|khiếu nại|tố cáo|tiếp công dân|hòa giải|
thanh tra|kiểm toán|phòng chống tham nhũng|lãng phí|tiêu cực|minh bạch|trách nhiệm|
người đứng đầu|bí thư|phó bí thư|chủ tịch|phó chủ tịch|ủy viên|trưởng ban|chánh văn phòng|
luân chuyển|bổ nhiệm|miễn nhiệm|điều động|quy hoạch cán bộ|đào tạo|bồi dưỡng|lý luận chính trị|
khen thưởng|thi đua|danh hiệu|huân chương|bằng khen|giấy khen|kỷ niệm|ngày thành lập|
lễ hội|di tích|bảo tồn|văn nghệ|thể dục thể thao|thư viện|nhà văn hóa|gia đình văn hóa|
hợp tác xã|doanh nghiệp|kinh tế tập thể|trang trại|hộ kinh doanh|sản xuất|tiêu thụ|
nông sản|chế biến|xuất khẩu|thương hiệu|chỉ dẫn địa lý|cà phê Arabica|dâu tây|atiso|
rau an toàn|nhà kính|tưới tiết kiệm|giống cây trồng|chăn nuôi|bò sữa|thú y|dịch tả lợn|
bảo hiểm xã hội|bảo hiểm y tế|hộ nghèo|cận nghèo|nhà ở|xóa nhà tạm|học bổng|
trẻ em|người cao tuổi|người khuyết tật|bình đẳng giới|dân số|kế hoạch hóa gia đình|
an toàn giao thông|trật tự đô thị|ma túy|tội phạm|an ninh mạng|dân quân tự vệ|
tuyển quân|nghĩa vụ quân sự|diễn tập|phòng thủ|biên phòng|công an xã|
""".replace("\n", "").split("|")
VOCABULARY = [word for word in VOCABULARY if word]
# Places, most mentioned first: the province and its towns are common, small communes are rare.
PLACES = """
Lâm Đồng|Đà Lạt|Bảo Lộc|Đức Trọng|Di Linh|Lâm Hà|Đơn Dương|Bảo Lâm|Lạc Dương|Đạ Huoai|
Đạ Tẻh|Cát Tiên|Đam Rông|Xuân Hương|Cam Ly|Lang Biang|Tuyền Lâm|Liên Nghĩa|Phú Hội|
Hiệp Thạnh|Nam Ban|Lộc Phát|B'Lao|Xuân Trường|Prenn|Đinh Văn|Tà Nung|Đạ Sar|Hiệp An|
Tân Hội|Ninh Gia|Gia Hiệp|Tam Bố|Đinh Trang Thượng|Bảo Thuận|Sơn Điền|Gia Bắc|
Lộc An|Lộc Nam|Lộc Thành|Lộc Ngãi|Lộc Tân|Đại Lào|Đạm Bri|Madaguôi|Đạ Oai|Đạ M'ri|
Quảng Trị|Đồng Nai Thượng|Tiên Hoàng|Phước Cát|Gia Viễn|Nam Ninh|Mỹ Lâm|Đạ Tông|
Đạ Long|Liêng Srônh|Rô Men|Phi Liêng|Đạ K'Nàng|Đưng K'Nớ|Đạ Chais|Đạ Nhim|Ka Đơn|
Pró|Lạc Xuân|Tu Tra|Đà Loan|Tà Năng|Đa Quyn|Tà Hine|Ninh Loan|Tân Thành|Phúc Thọ|
Đông Thanh|Trạm Hành|Gia Lâm|Tân Văn|Phi Tô|Mê Linh|Đan Phượng|Hoài Đức|Liên Hà|Tân Hà|Nam Hà|
""".replace("\n", "").split("|")
PLACES = [place for place in PLACES if place]
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
TITLES = ["Bí thư", "Phó Bí thư", "Chánh Văn phòng", "Trưởng ban", "Phó Trưởng ban"]
ISSUERS = ["Ban Thường vụ", "Ban Tổ chức", "Ban Tuyên giáo", "Ủy ban Kiểm tra", "Văn phòng"]
PLACEHOLDER_SHA = "0" * 63 + "b"  # the one stored-file row every benchmark version points at
# From this many documents on, PostgreSQL builds the search table's indexes after the load.
DEFER_INDEXES_FROM = 50_000
# How many documents a unit gets relative to a cell: the root and the committees hold more.
UNIT_WEIGHT = {0: 20.0, 1: 4.0}  # by depth below the first unit; deeper units weigh 1


class Zipf:
    """Items drawn with weight 1/rank: a few very common ones, a long tail of rare ones."""

    def __init__(self, items: list[str], rng: random.Random) -> None:
        self.items = items
        self.weights = list(itertools.accumulate(1.0 / (rank + 1) for rank in range(len(items))))
        self.rng = rng

    def take(self, n: int) -> list[str]:
        return self.rng.choices(self.items, cum_weights=self.weights, k=n)


class Command(BaseCommand):
    help = "BENCHMARK DATA ONLY: bulk-insert a synthetic Vietnamese document corpus and index it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--documents", type=int, required=True)
        parser.add_argument(
            "--units",
            type=int,
            default=0,
            help="spread the documents over this many units, creating the missing ones (a "
            "committee-and-cells tree); 0: the existing units, or a small tree if there are none",
        )
        parser.add_argument("--years", type=int, default=5)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--batch", type=int, default=5000)
        parser.add_argument(
            "--jobs",
            type=int,
            default=min(2, os.cpu_count() or 1),
            help="parallel writers on PostgreSQL (the text vectors cost the database a core each)",
        )
        parser.add_argument("--yes", action="store_true", help="yes, this is a throwaway database")

    def handle(self, *args: Any, **options: Any) -> None:
        if not (options["yes"] or settings.DEBUG or getattr(settings, "DEMO", False)):
            raise CommandError(
                "bench_seed writes synthetic documents; run it only on a throwaway database "
                "(pass --yes, or run in DEBUG or DEMO mode)."
            )
        if options["documents"] < 1 or options["years"] < 1 or options["batch"] < 1:
            raise CommandError("--documents, --years and --batch must be positive")
        started = time.monotonic()
        units = self._units(options["units"])
        types = list(DocumentType.objects.order_by("ordering"))[:12]
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
        total = options["documents"]
        postgres = connection.vendor == "postgresql"
        # Parallel writers only outside a transaction (a test's) and on PostgreSQL; each takes
        # its own units, so that register numbers never collide.
        jobs = max(1, min(options["jobs"], len(units))) if postgres else 1
        if connection.in_atomic_block:
            jobs = 1
        defer = postgres and total >= DEFER_INDEXES_FROM
        parts = _split(units, total, jobs)
        plan = [
            _Part(
                units=part_units,
                documents=count,
                seed=options["seed"] * 1000 + index,
                years=options["years"],
                batch=options["batch"],
                types=types,
                placeholder=placeholder,
                top=min(unit.depth for unit in units),
            )
            for index, (part_units, count) in enumerate(parts)
        ]
        with _deferred_indexes([SearchEntry._meta.db_table], enabled=defer) as rebuild:
            if jobs == 1:
                _run_part(plan[0], self.stdout.write)
            else:
                connections.close_all()  # each writer opens its own connection
                context = multiprocessing.get_context("fork")
                with context.Pool(jobs) as pool:
                    pool.map(_run_part_quietly, plan)
            loaded = time.monotonic()
            self.stdout.write("")
            if defer:
                self.stdout.write("building the search indexes…")
        indexed = time.monotonic()
        if postgres:
            with connection.cursor() as cursor:
                # Visibility map and fresh statistics, as autovacuum would leave a real node: the
                # search plan is chosen from the planner's term estimates.
                for table in (
                    Document._meta.db_table,
                    DocumentVersion._meta.db_table,
                    RegisterEntry._meta.db_table,
                    SearchEntry._meta.db_table,
                ):
                    # VACUUM cannot run in a transaction (a test's): ANALYZE alone then.
                    verb = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
                    cursor.execute(f"{verb} {table}")
        self.stdout.write(
            f"seeded {total} benchmark documents over {len(units)} units in "
            f"{time.monotonic() - started:.0f} s (rows {loaded - started:.0f} s with {jobs} "
            f"writer(s)"
            + (f", indexes {rebuild.seconds:.0f} s" if defer else "")
            + f", vacuum and analyse {time.monotonic() - indexed:.0f} s)"
        )

    def _units(self, wanted: int) -> list[Unit]:
        """The units to spread documents over: existing active ones, completed up to `wanted`
        with committees under the first unit and cells under the committees."""
        units = list(Unit.objects.filter(active=True).order_by("path"))
        if units and (not wanted or len(units) >= wanted):
            return units[:wanted] if wanted else units
        if not units:
            units = [
                Unit.objects.add_root(
                    create_kwargs={
                        "name": "Tỉnh ủy Lâm Đồng (benchmark)",
                        "kind": UnitKind.PROVINCIAL_COMMITTEE,
                        "code": "000.00.00.B00",
                        "abbreviation": "TU",
                    }
                )
            ]
        root = units[0]
        wanted = max(wanted, 2)
        # About twenty cells per committee, like a commune's Party cells.
        committees = [unit for unit in units if unit.depth == root.depth + 1]
        needed = max(1, (wanted - 1) // 20)
        index = len(units)
        while len(units) < wanted:
            place = PLACES[index % len(PLACES)]
            code = f"9{index // 100 % 100:02d}.{index % 100:02d}.00.B00"
            if len(committees) < needed:
                unit = Unit.objects.add_child(
                    Unit.objects.get(pk=root.pk),
                    create_kwargs={
                        "name": f"Đảng ủy xã {place} {index}",
                        "kind": UnitKind.COMMUNE_COMMITTEE,
                        "code": code,
                        "abbreviation": "ĐU",
                    },
                )
                committees.append(unit)
            else:
                unit = Unit.objects.add_child(
                    Unit.objects.get(pk=committees[index % len(committees)].pk),
                    create_kwargs={
                        "name": f"Chi bộ thôn {index} {place}",
                        "kind": UnitKind.CELL,
                        "code": code,
                        "abbreviation": "CB",
                    },
                )
            units.append(unit)
            index += 1
        return units


@dataclass
class _Part:
    """One writer's share: its own units (so its own registers), documents and random seed."""

    units: list[Unit]
    documents: int
    seed: int
    years: int
    batch: int
    types: list[DocumentType]
    placeholder: StoredFile
    top: int  # the depth of the first unit of the whole corpus


def _weight(unit: Unit, top: int) -> float:
    return UNIT_WEIGHT.get(unit.depth - top, 1.0)


def _split(units: list[Unit], total: int, jobs: int) -> list[tuple[list[Unit], int]]:
    """Deal the units to `jobs` writers, each writing documents in proportion to its units'
    weight."""
    top = min(unit.depth for unit in units)
    shares = [units[index::jobs] for index in range(jobs)]
    weights = [sum(_weight(unit, top) for unit in share) for share in shares]
    counts = [int(total * weight / sum(weights)) for weight in weights]
    counts[0] += total - sum(counts)
    return [(share, count) for share, count in zip(shares, counts, strict=True) if count]


def _run_part(part: _Part, say: Any) -> None:
    started = time.monotonic()
    rng = random.Random(part.seed)  # noqa: S311 (synthetic text, reproducible by seed)
    seeder = _Seeder(rng, part.units, part.types, part.placeholder, part.top)
    # Creation times ascending, so that insertion order follows the date as in real life.
    now = clock.now()
    span = dt.timedelta(days=365 * part.years).total_seconds()
    offsets = sorted((rng.random() * span for _ in range(part.documents)), reverse=True)
    done = 0
    for start in range(0, part.documents, part.batch):
        chunk = offsets[start : start + part.batch]
        seeder.write([now - dt.timedelta(seconds=offset) for offset in chunk])
        done += len(chunk)
        say(f"{done}/{part.documents} documents ({time.monotonic() - started:.0f} s)", ending="\r")
    seeder.save_registers()


def _run_part_quietly(part: _Part) -> None:
    try:
        _run_part(part, lambda *args, **kwargs: None)
    finally:
        connections.close_all()


class _Rows:
    """Rows of one model's table, as values per column: written with COPY on PostgreSQL and with
    bulk_create elsewhere. Columns not given take the field's default (so a field added later
    with a default needs no change here); a database-generated key is left to the database."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.fields = [f for f in model._meta.concrete_fields if not isinstance(f, AutoFieldMixin)]
        self.defaults = {f.attname: f.get_default() for f in self.fields}
        self.rows: list[dict[str, Any]] = []

    def add(self, **values: Any) -> None:
        self.rows.append(values)

    def flush(self) -> None:
        if not self.rows:
            return
        if connection.vendor == "postgresql":
            self._copy()
        else:
            self.model._default_manager.bulk_create(
                [self.model(**{**self.defaults, **row}) for row in self.rows]
            )
        self.rows = []

    def _copy(self) -> None:
        columns = ", ".join(connection.ops.quote_name(f.column) for f in self.fields)
        # Defaults in the form the database takes (a JSON default becomes jsonb, …).
        prepared = {
            f.attname: f.get_db_prep_save(self.defaults[f.attname], connection) for f in self.fields
        }
        attnames = [f.attname for f in self.fields]
        with connection.cursor() as cursor:
            raw = cursor.cursor  # the psycopg cursor: COPY is not part of the DB-API
            sql = f"COPY {connection.ops.quote_name(self.model._meta.db_table)} ({columns}) FROM STDIN"
            with raw.copy(sql) as copy:
                for row in self.rows:
                    copy.write_row([row[a] if a in row else prepared[a] for a in attnames])


@contextlib.contextmanager
def _deferred_indexes(tables: list[str], *, enabled: bool) -> Iterator[Any]:
    """Drop the tables' indexes that back no constraint, and build them again on the way out
    (also after an error: the database is left with its indexes)."""

    class Timing:
        seconds = 0.0

    timing = Timing()
    if not enabled:
        yield timing
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i"
            " JOIN pg_class c ON c.relname = i.indexname"
            " WHERE i.tablename = ANY(%s) AND i.schemaname = current_schema()"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid)",
            [tables],
        )
        indexes = list(cursor.fetchall())
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    try:
        yield timing
    finally:
        start = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '1GB'")
            for _name, definition in indexes:
                cursor.execute(definition)
            cursor.execute("RESET maintenance_work_mem")
        timing.seconds = time.monotonic() - start


def _uuid7_at(moment: dt.datetime, rng: random.Random) -> uuid.UUID:
    """A UUIDv7 carrying `moment` (core.ids.uuid7 carries the present): ids keep growing with
    the creation time, as in a real register."""
    millis = int(moment.timestamp() * 1000)
    random_bits = rng.getrandbits(74)
    rand_a = (random_bits >> 62) & 0xFFF
    rand_b = random_bits & ((1 << 62) - 1)
    value = (millis & ((1 << 48) - 1)) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    return uuid.UUID(int=value)


class _Seeder:
    def __init__(
        self,
        rng: random.Random,
        units: list[Unit],
        types: list[DocumentType],
        placeholder: StoredFile,
        top: int,
    ) -> None:
        self.rng = rng
        self.units = units
        self.unit_weights = list(itertools.accumulate(_weight(unit, top) for unit in units))
        self.types = types
        self.placeholder = placeholder
        self.words = Zipf(VOCABULARY, rng)
        self.syllables = {word: len(word.split()) for word in VOCABULARY}
        self.places = Zipf(PLACES, rng)
        self.registers: dict[tuple[Any, int, str], Register] = {
            (r.unit_id, r.year, r.kind): r for r in Register.objects.filter(secret=False)
        }
        self.touched: set[tuple[Any, int, str]] = set()
        self.tables = {
            model: _Rows(model) for model in (Document, DocumentVersion, RegisterEntry, SearchEntry)
        }

    def person(self) -> str:
        r = self.rng
        return f"{r.choice(FAMILY)} {r.choice(MIDDLE)} {r.choice(GIVEN)}"

    def extra(self) -> str:
        """A rare term: a place, a person, a date or an amount."""
        r = self.rng.random()
        if r < 0.45:
            return self.places.take(1)[0]
        if r < 0.75:
            return self.person()
        if r < 0.9:
            return f"ngày {self.rng.randint(1, 28)} tháng {self.rng.randint(1, 12)}"
        return f"{self.rng.randint(1, 999)}.{self.rng.randint(0, 999):03d} triệu đồng"

    def sentences(self, total: int, low: int, high: int, *, capital: bool = True) -> list[str]:
        """Sentences of `low`–`high` syllables (what a Vietnamese reader counts as words) adding
        up to about `total` syllables."""
        rng = self.rng
        draws = iter(self.words.take(total))
        out: list[str] = []
        count = 0
        while count < total:
            target = rng.randint(low, high)
            words: list[str] = []
            syllables = 0
            while syllables < target:
                word = next(draws, None) or self.words.take(1)[0]
                words.append(word)
                syllables += self.syllables[word]
            # A rare term now and then.
            if rng.random() < 0.12:
                words.insert(rng.randrange(len(words) + 1), self.extra())
            text = " ".join(words)
            out.append(text[:1].upper() + text[1:] if capital else text)
            count += len(text.split())
        return out

    def register(self, unit: Unit, year: int, kind: str) -> Register:
        key = (unit.pk, year, kind)
        register = self.registers.get(key)
        if register is None:
            register = Register.objects.create(
                unit=unit,
                year=year,
                kind=kind,
                secret=False,
                name=f"Sổ văn bản {RegisterKind(kind).label} {year}",
            )
            self.registers[key] = register
        self.touched.add(key)
        return register

    def save_registers(self) -> None:
        Register.objects.bulk_update(
            [self.registers[key] for key in self.touched], ["last_number"], batch_size=1000
        )

    @transaction.atomic
    def write(self, moments: list[dt.datetime]) -> None:
        rng = self.rng
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        documents, versions, entries, search = (
            self.tables[model] for model in (Document, DocumentVersion, RegisterEntry, SearchEntry)
        )
        for created in moments:
            unit = self.units[
                bisect.bisect(self.unit_weights, rng.random() * self.unit_weights[-1])
            ]
            doc_type = rng.choice(self.types)
            kind = rng.choice(RegisterKind.values)
            register = self.register(unit, created.year, kind)
            register.last_number += 1
            number = register.last_number
            abbreviation = doc_type.party_abbreviation or doc_type.state_abbreviation or "CV"
            notation = f"{number}-{abbreviation}/{unit.abbreviation}"
            issued = (created - dt.timedelta(days=rng.randint(0, 5))).date()
            length = rng.randint(8, 20)
            about = self.sentences(length, length, length, capital=False)[0]
            subject = f"{doc_type.name} về {about}"
            issuer = f"{rng.choice(ISSUERS)} {unit.name}"
            body = ". ".join(self.sentences(rng.randint(150, 400), 8, 20)) + "."
            signer = self.person()
            document_id = _uuid7_at(created, rng)
            documents.add(
                id=document_id,
                created_at=created,
                updated_at=created,
                unit_id=unit.pk,
                subject=subject,
                doc_type_id=doc_type.pk,
                issuing_body=issuer,
                number=str(number),
                notation=notation,
                place=unit.name,
                issued_on=issued,
                signer_name=signer,
                signer_title=rng.choice(TITLES),
                recipients="Như trên;\nLưu Văn phòng.",
                urgency=Urgency.URGENT if rng.random() < 0.05 else Urgency.NORMAL,
                page_count=rng.randint(1, 12),
                copies=rng.randint(1, 5),
            )
            versions.add(
                id=_uuid7_at(created, rng),
                created_at=created,
                updated_at=created,
                document_id=document_id,
                number=1,
                original_id=self.placeholder.pk,
                original_name="benchmark.pdf",
                text=body,
            )
            entries.add(
                id=_uuid7_at(created, rng),
                created_at=created,
                updated_at=created,
                register_id=register.pk,
                number=number,
                registered_on=created.date(),
                document_id=document_id,
                notation=notation,
            )
            # The same text index_document would write (search/index.py), without a query per
            # document.
            title = "\n".join(
                part for part in (subject, notation, issuer, doc_type.name, signer) if part
            )
            search.add(
                document_id=document_id,
                unit_id=unit.pk,
                doc_type_id=doc_type.pk,
                created_at=created,
                doc_date=issued,
                title=clean(title),
                body=clean(body),
            )
        for table in (documents, versions, entries, search):
            table.flush()
