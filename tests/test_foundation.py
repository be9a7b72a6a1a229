from kgsynth.catalog import Catalog
from kgsynth.config import Config
from kgsynth.errors import ConfigError
from kgsynth.registry import Registry
from kgsynth.types import DatasetVersion, Example, example_id


def test_registry_unknown_name_lists_valid_names():
    reg = Registry("things")
    reg.register("a")(object)
    try:
        reg.get("b")
    except ConfigError as e:
        assert "valid names: a" in str(e)
    else:
        raise AssertionError("expected ConfigError")


def test_catalog_dataset_versions_are_immutable_and_ordered(tmp_path):
    cat = Catalog(tmp_path / "c.sqlite")
    exs = [
        Example(id=example_id("classify", t, None, "x"), task="classify", input=t, label="x")
        for t in ["b", "a", "c"]
    ]
    v1 = cat.save_dataset(DatasetVersion(id="v1", name="d", stage="synth"), exs)
    v2 = cat.save_dataset(DatasetVersion(id="v2", name="d", stage="clean", parents=["v1"]), exs[:1])
    assert [e.input for e in cat.examples("v1")] == ["b", "a", "c"]
    assert v1.count == 3 and v2.count == 1
    assert cat.dataset("d").id == "v2"
    assert cat.migrate() == []


def test_default_config_is_embedded():
    assert Config().store.kind == "embedded"
