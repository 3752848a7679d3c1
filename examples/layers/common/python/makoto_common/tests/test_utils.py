"""Unit tests of the library. layer-pack prunes them from the zip by default."""

from makoto_common.utils import chunked


def test_chunked():
    assert list(chunked(range(5), 2)) == [[0, 1], [2, 3], [4]]
