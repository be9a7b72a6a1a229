"""Runaway user templates stop fast with one line naming the template (real Jinja sandbox)."""

from __future__ import annotations

import resource
import time

import pytest

from synth.templates import TemplateError, TemplateLibrary

RUNAWAY = {
    "nested_range": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "nested_loops": "{% for i in range(9000) %}{% for j in range(9000) %}{% endfor %}{% endfor %}",
    "repeat": "{{ 'a' * 3000000000 }}",
    "repeat_var": "{% set n = 3000000000 %}{{ 'a' * n }}",
    "power": "{{ 2 ** 100000000 }}",
    "ljust": "{{ 'x'.ljust(1000000000) }}",
    "center": "{{ 'x'|center(1000000000) }}",
    "format_filter": "{{ '%1000000000s'|format('x') }}",
    "format_method": "{{ '{:>1000000000}'.format('x') }}",
    "percent": "{{ '%1000000000d' % 5 }}",
    "doubling": "{% set ns = namespace(s='a') %}{% for i in range(60) %}"
    "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}",
    "doubling_plus": "{% set ns = namespace(s='a') %}{% for i in range(60) %}"
    "{% set ns.s = ns.s + ns.s %}{% endfor %}",
    "static_output": "{% for i in range(9000) %}{% for j in range(9000) %}"
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx{% endfor %}{% endfor %}",
    "macro_bomb": "{% macro f(n) %}{% if n %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}{% endmacro %}"
    "{{ f(40) }}",
    "macro_recursion": "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
    "replace": "{% set s = 'a' * 100000 %}{{ s.replace('a', 'bbbbbbbbbbbbbbbbbbbbbbbbb') }}",
    "replace_filter": "{% set s = 'a' * 100000 %}{{ s|replace('a', 'bbbbbbbbbbbbbbbbbbb') }}",
    "indent": "{% set s = '\n' * 90000 %}{{ s|indent(100000) }}",
    "expandtabs": "{% set s = '\t' * 90000 %}{{ s.expandtabs(100000) }}",
    "join": "{{ ('a' * 100000).join(range(10000)|map('string')|list) }}",
    "nested_list": "{% set x = [[1] * 100000] * 100000 %}{{ x }}",
    "recursive_loop": "{% for x in [[1] * 10000] * 10000 recursive %}{{ loop(x) }}{% endfor %}",
    "slice": "{{ [1]|slice(1000000000)|list|length }}",
    "lipsum": "{{ lipsum(100000) }}",
}


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    root = tmp_path_factory.mktemp("templates")
    (root / "en").mkdir()
    for name, source in RUNAWAY.items():
        (root / "en" / f"{name}.j2").write_text(source, encoding="utf-8")
    (root / "en" / "fine.j2").write_text(
        "{{ city }} has {{ '{:,}'.format(people) }} people, {{ people * 2 }} twice; "
        "{% for i in range(3) %}{{ i }}{% endfor %} {{ 'ab' * 3 }} {{ '%5s'|format('x') }}",
        encoding="utf-8",
    )
    return TemplateLibrary(user_dir=root)


@pytest.mark.parametrize("name", sorted(RUNAWAY))
def test_runaway_template_fails_fast_naming_it(library, name):
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with pytest.raises(TemplateError) as err:
        library.render(name)
    assert time.perf_counter() - started < 10  # each one ran for minutes or took gigabytes
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss) / 1024
    assert grown_mb < 200
    message = str(err.value)
    assert message.startswith(f"template {name!r} ({name}.j2") and "\n" not in message
    assert err.value.template_id == name


def test_ordinary_templates_render_within_the_limits(library):
    text = library.render("fine", city="Tokyo", people=14_000_000)
    assert text == "Tokyo has 14,000,000 people, 28000000 twice; 012 ababab x"
    # the packaged templates render as before
    pack = TemplateLibrary()
    assert pack.ids("en") and all(pack.variants(t) >= 1 for t in pack.ids("en"))
