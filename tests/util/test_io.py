"""The one atomic writer: modes under the umask, refusal to overwrite, nothing left behind."""

import os
import stat

import pytest

from finops_model.errors import FinopsError
from finops_model.util.io import file_mode, write_atomic


@pytest.fixture
def umask022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_new_file_gets_umask_mode(tmp_path, umask022):
    p = write_atomic(tmp_path / "a" / "b.csv", "x,y\n1,2\n")
    assert stat.S_IMODE(p.stat().st_mode) == 0o644 == file_mode()
    assert p.read_text() == "x,y\n1,2\n"


def test_other_umask_is_honoured(tmp_path):
    old = os.umask(0o077)
    try:
        p = write_atomic(tmp_path / "c.txt", b"\x00\x01")
    finally:
        os.umask(old)
    assert stat.S_IMODE(p.stat().st_mode) == 0o600
    assert p.read_bytes() == b"\x00\x01"


def test_existing_file_keeps_its_mode(tmp_path, umask022):
    p = tmp_path / "models.yaml"
    p.write_text("old")
    os.chmod(p, 0o664)
    write_atomic(p, "new")
    assert stat.S_IMODE(p.stat().st_mode) == 0o664
    assert p.read_text() == "new"


def test_refuses_to_overwrite_and_leaves_no_temporary(tmp_path):
    p = tmp_path / "mine.yaml"
    p.write_text("user's text")
    with pytest.raises(FinopsError, match="existing"):
        write_atomic(p, "other", overwrite=False)
    assert p.read_text() == "user's text"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["mine.yaml"]


def test_text_is_written_verbatim(tmp_path):
    p = write_atomic(tmp_path / "w.csv", "a\r\nb\n")
    assert p.read_bytes() == b"a\r\nb\n"
