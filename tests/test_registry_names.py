"""Registries are the only list of names: config, CLI and app take whatever a registry holds."""

from __future__ import annotations

import tomllib

import pytest
from click.testing import CliRunner

from kg.stores.embedded import EmbeddedStore
from kgsynth.app.cli import cli
from kgsynth.config import Config, generator_options, load_config, save_config
from kgsynth.errors import ConfigError
from kgsynth.generators import (
    GENERATORS,
    Completion,
    Generator,
    ModelOptions,
    Prompt,
    make_generator,
)
from kgsynth.registry import registry_of
from kgsynth.store import STORES
from kgsynth.workspace import open_workspace
from tests.fixtures.graph_data import small_batch


class SqliteNamedStore(EmbeddedStore):
    """A real store registered under a name no built-in has."""

    name = "sqlite"


class EchoOptions(ModelOptions):
    kind: str = "echo"
    shout: bool = False


class EchoGenerator(Generator):
    """A generator a plugin adds, with options of its own."""

    name = "echo"
    Options = EchoOptions

    def __init__(self, config: EchoOptions | None = None):
        self.config = config or EchoOptions()

    def generate(self, prompts):
        texts = [p.messages[-1].content for p in prompts]
        return [Completion(text=t.upper() if self.config.shout else t) for t in texts]


@pytest.fixture
def plugins():
    STORES.register("sqlite")(SqliteNamedStore)
    GENERATORS.register("echo")(EchoGenerator)
    yield
    STORES._items.pop("sqlite")
    GENERATORS._items.pop("echo")


def test_a_registered_store_passes_config_validation_and_opens(tmp_path, plugins):
    ws_dir = tmp_path / "ws"
    ws_dir.mkdir()
    (ws_dir / "kgsynth.toml").write_text('[store]\nkind = "sqlite"\n')
    ws = open_workspace(ws_dir)
    assert isinstance(ws.store, SqliteNamedStore)
    ws.store.write(small_batch())
    assert ws.store.stats().entities == 6
    ws.close()
    result = CliRunner().invoke(cli, ["-w", str(ws_dir), "--store", "sqlite", "graph", "stats"])
    assert result.exit_code == 0, result.output
    assert "--store [embedded|neo4j|sqlite]" in CliRunner().invoke(cli, ["--help"]).output


def test_unknown_names_fail_with_the_registry_names(tmp_path):
    for toml, where in [
        (
            '[store]\nkind = "sqlite"\n',
            "store.kind: unknown stores 'sqlite'; valid names: embedded",
        ),
        ('[ingest]\nextractors = ["spacy", "regex"]\n', "ingest.extractors: unknown extractors"),
        ('engine = "spark"\n', "engine: unknown engines 'spark'; valid names: local, ray"),
        ('[generators.x]\nkind = "gpt"\n', "generators: x.kind: unknown generators 'gpt'"),
        ('[generators.x]\nkind = "openai"\nrpm = "lots"\n', "generators: x.rpm: Input should"),
    ]:
        (tmp_path / "kgsynth.toml").write_text(toml)
        with pytest.raises(ConfigError, match=where.replace("[", r"\[").replace(".", r"\.")):
            load_config(tmp_path)
    result = CliRunner().invoke(cli, ["--store", "sqlite", "graph", "stats"])
    assert result.exit_code == 2 and "'sqlite' is not one of 'embedded', 'neo4j'" in result.output


def test_each_generator_kind_validates_its_own_options(tmp_path, plugins):
    (tmp_path / "kgsynth.toml").write_text(
        '[generators.loud]\nkind = "echo"\nshout = true\n'
        '[generators.srv]\nkind = "openai"\nbase_url = "http://127.0.0.1:9/v1"\nmodel = "m"\n'
    )
    config = load_config(tmp_path)
    assert isinstance(config.generators["loud"], EchoOptions) and config.generators["loud"].shout
    assert config.generators["srv"].base_url == "http://127.0.0.1:9/v1"
    ws = open_workspace(tmp_path)
    gen = make_generator(ws, "loud")
    assert [c.text for c in gen.generate([Prompt.user("hi")])] == ["HI"]
    with pytest.raises(ConfigError, match="base_url: Extra inputs are not permitted"):
        make_generator(ws, "loud", base_url="http://x")  # an openai setting, not echo's
    ws.close()
    with pytest.raises(ConfigError, match="template generator: model: Extra inputs"):
        generator_options("template", model="m")
    saved = save_config(tmp_path, config)  # every kind's own fields round-trip
    assert load_config(tmp_path) == config and "shout = true" in saved.read_text()


def test_old_shared_settings_still_load_with_a_warning(tmp_path):
    (tmp_path / "kgsynth.toml").write_text(
        '[generators.template]\nkind = "template"\ntemperature = 0.2\nbatch_size = 4\n'
        '[generators.smol]\nkind = "transformers"\nconcurrency = 8\nthreads = 1\n'
    )
    with pytest.warns(UserWarning) as caught:
        config = load_config(tmp_path)
    assert sorted(str(w.message) for w in caught) == [
        "generators.smol: concurrency not used by the transformers generator; ignored",
        "generators.template: temperature not used by the template generator; ignored",
    ]
    assert config.generators["template"].batch_size == 4
    assert config.generators["smol"].threads == 1
    assert "concurrency" not in config.generators["smol"].model_dump()
    with pytest.raises(ConfigError, match="temprature: Extra inputs"):  # a typo still fails
        (tmp_path / "kgsynth.toml").write_text(
            '[generators.t]\nkind = "template"\ntemprature = 1\n'
        )
        load_config(tmp_path)


def test_the_new_workspace_file_lists_registry_names():
    from kgsynth.config_template import render_template

    text = render_template()
    assert f"the graph store: {', '.join(STORES.names())}" in text
    assert f"any of: {', '.join(registry_of('extractors').names())}" in text
    assert Config.model_validate(tomllib.loads(text)) == Config()
