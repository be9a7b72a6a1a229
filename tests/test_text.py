from kgsynth.text import detect_lang, normalize_text, split_sentences, words


def test_sentences_respect_abbreviations_and_paragraphs():
    text = "Mr. Smith met the U.S. envoy. He left!\n\nA new paragraph has 2.5 ideas"
    got = [text[s:e] for s, e in split_sentences(text)]
    assert got == [
        "Mr. Smith met the U.S. envoy.",
        "He left!",
        "A new paragraph has 2.5 ideas",
    ]


def test_chinese_sentences_and_words():
    text = "今天北京天气很好。张三去了上海！"
    assert [text[s:e] for s, e in split_sentences(text, "zh")] == [
        "今天北京天气很好。",
        "张三去了上海！",
    ]
    assert "北京" in words(text, "zh")
    assert detect_lang(text) == "zh"
    assert detect_lang("The BBC reported on Tuesday.") == "en"


def test_normalize_keeps_paragraphs_and_drops_controls():
    assert normalize_text(" a\u00a0 b \r\n\r\n\r\n c\x07 ") == "a b\n\nc"
    assert words("Don't stop, it's 2025") == ["don't", "stop", "it's", "2025"]
