"""The QR code of the payment part is drawn as rectangles (runs of dark modules) instead
of one square per module: exactly the same modules, far fewer shapes for WeasyPrint."""

import io
import random
import re
from collections import Counter

import pytest
import qrbill

from billing.pdf import qr_bill, qr_rectangles
from tests.billing.test_invoice_pdf import issued_invoice

pytestmark = pytest.mark.django_db


def covered(rectangles) -> Counter:
    """How often each module (column, row) is covered by the rectangles."""
    return Counter(
        (x + dx, y + dy) for x, y, w, h in rectangles for dx in range(w) for dy in range(h)
    )


def dark(matrix) -> set:
    return {(x, y) for y, row in enumerate(matrix) for x, cell in enumerate(row) if cell}


@pytest.mark.parametrize("seed", range(40))
def test_the_rectangles_cover_every_dark_module_once_and_nothing_else(seed):
    rng = random.Random(seed)
    size = rng.choice([1, 2, 7, 21, 57])
    density = rng.random()
    matrix = [[rng.random() < density for _ in range(size)] for _ in range(size)]
    counts = covered(qr_rectangles(matrix))
    assert set(counts) == dark(matrix)
    assert set(counts.values()) <= {1}


def test_blocks_become_single_rectangles():
    matrix = [
        [True, True, False, True],
        [True, True, False, True],
        [False, False, False, True],
        [True, True, True, True],
    ]
    assert sorted(qr_rectangles(matrix)) == [(0, 0, 2, 2), (0, 3, 4, 1), (3, 0, 1, 3)]


def stock_modules(bill) -> set:
    """The modules of the QR code as qrbill itself draws it (qrcode's square per module)."""
    image = qrbill.QRBill.qr_image(bill)
    buffer = io.BytesIO()
    image.save(buffer)
    squares = re.findall(r"M([\d.]+),([\d.]+)H", buffer.getvalue().decode())
    assert squares, "qrcode no longer draws squares: read its output anew"
    return {(round(float(x)), round(float(y))) for x, y in squares}


@pytest.mark.parametrize("language", ["fr", "de"])
def test_the_bill_draws_the_modules_qrbill_would_draw(language):
    bill = qr_bill(issued_invoice(language=language))
    ours = bill.qr_image()
    rectangles = [
        tuple(int(n) for n in found)
        for found in re.findall(r"M(\d+),(\d+)h(\d+)v(\d+)h-\d+z", ours.d)
    ]
    counts = covered(rectangles)
    assert set(counts) == stock_modules(bill)
    assert set(counts.values()) == {1}
    assert ours.width == qrbill.QRBill.qr_image(bill).width  # the same scale on the bill
    assert len(rectangles) < len(counts) / 2  # the point: fewer shapes than modules
