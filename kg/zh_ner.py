"""Chinese names and types: person, place, organisation, date and number spans in one sentence.

Names come from jiagu's perceptron tagger (it tags jiagu's own words: PER, LOC, ORG), checked and
completed by the shape of Chinese names:

- a word jiagu tags is trimmed to its name when it runs on into a common noun
  (邓小平理论 → 邓小平, 中国人民 → 中国, 华为公司总部 → 华为公司); a bare generic word (公司) is dropped;
- a person jieba's dictionary knows (nr) that jiagu misses is kept when it looks like a name
  (a known surname and one or two more characters);
- a place or organisation followed by an organisation word (大学, 银行, 委员会, ...) becomes one ORG;
- dates (1999年, 3月5日, 一九九八年), money (7042亿元), percentages (9.6%) and counts with a unit
  (5000人) come from patterns.

Types use the spaCy labels the rest of kgsynth uses: PERSON, GPE, ORG, DATE, MONEY, PERCENT, CARDINAL.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache


def word_set(text: str) -> frozenset[str]:
    """The space-separated words of a literal (long Chinese word lists read better this way)."""
    return frozenset(text.split())


JIAGU_TYPES = {"PER": "PERSON", "LOC": "GPE", "ORG": "ORG"}
JIEBA_PERSON_FLAGS = frozenset({"nr", "nrfg", "nrt"})
# jieba flags of common nouns, adjectives and verbs: no given name a tagger missed is one of these
COMMON_WORD_FLAGS = frozenset({"n", "a", "an", "ad", "v", "vn", "d"})
NAME_TYPES = frozenset({"PERSON", "GPE", "ORG"})
# Words that end an organisation name; a name (or place) followed by one is one ORG.
ORG_SUFFIXES = word_set(
    "集团 公司 银行 大学 学院 中学 小学 医院 协会 学会 委员会 组织 研究所 研究院 研究中心 基金会 "
    "联合会 联盟 部 局 署 厅 委 办 院 社 党 军 队 俱乐部 法院 检察院 电视台 日报 报社 通讯社 "
    "出版社 交易所 工厂 厂 商会 总会 分会 中心"
)
NAME_TAIL_WORDS = frozenset("于在和与等")
STRONG_ORG_SUFFIXES = word_set("公司 集团 银行 大学 学院 研究所 研究院 基金会 协会 委员会")
# jieba flags of words that may be (part of) a name: unknown, other proper noun, name, place, foreign
NAME_LIKE_FLAGS = frozenset({"", "nz", "nr", "nrt", "nrfg", "ns", "nt", "eng", "x", "j"})
# Words that end a place name (they belong to it: 深圳市, 长江, 泰山).
PLACE_SUFFIXES = tuple(
    sorted(word_set("省 市 县 区 镇 乡 村 州 岛 河 江 湖 海 山 峰 湾 港 路 街 洲 国"))
)
# Words after a place that name its people or side, not a place (中华民族, 台湾同胞, 亚太地区).
PLACE_PEOPLE = tuple(sorted(word_set("民族 人民 儿女 同胞 侨胞 地区 经济 政府 方面 人")))
# One-character place abbreviations of news text (中美关系, 中方, 访华, 在京) and the place each
# stands for; 澳 (Macau or Australia) is an abbreviation without one full name.
PLACE_ABBREVIATIONS = {
    "中": "中国", "华": "中国", "美": "美国", "日": "日本", "俄": "俄罗斯", "英": "英国",
    "法": "法国", "德": "德国", "意": "意大利", "加": "加拿大", "韩": "韩国", "朝": "朝鲜",
    "印": "印度", "泰": "泰国", "越": "越南", "港": "香港", "澳": "", "台": "台湾", "欧": "欧洲",
    "亚": "亚洲", "非": "非洲", "京": "北京", "沪": "上海", "津": "天津", "渝": "重庆",
}  # fmt: skip
# Pairs of abbreviations that are words of their own (Central Asia, virtue, to like, splendid).
NOT_ABBREVIATIONS = word_set("中亚 中欧 中非 中意 中华 华美 美德")
# A verb or preposition fused with an abbreviation: 访华 (visit China), 驻京 (based in Beijing).
ABBREVIATION_VERBS = frozenset("访驻来赴离抵进回返在对")
# A name never stands for just one of these.
GENERIC = ORG_SUFFIXES | word_set("国家 地区 政府 总部 地方 全国 国内 国际 中央 当地 本市")
SURNAMES = word_set(
    "王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 高 林 罗 郑 梁 谢 宋 唐 许 韩 冯 邓 曹 彭 曾 肖 "
    "田 董 袁 潘 于 蒋 蔡 余 杜 叶 程 苏 魏 吕 丁 任 沈 姚 卢 姜 崔 钟 谭 陆 汪 范 金 石 廖 贾 夏 韦 付 "
    "方 白 邹 孟 熊 秦 邱 江 尹 薛 闫 段 雷 侯 龙 史 陶 黎 贺 顾 毛 郝 龚 邵 万 钱 严 覃 武 戴 莫 孔 向 "
    "汤 常 温 康 施 文 牛 樊 葛 邢 安 齐 易 乔 伍 庞 颜 倪 庄 聂 章 鲁 岳 翟 殷 詹 申 欧 耿 关 兰 焦 俞 "
    "左 柳 甘 祝 包 宁 尚 符 舒 阮 柯 纪 梅 童 凌 毕 单 季 裴 霍 涂 成 苗 谷 盛 曲 翁 冉 骆 蓝 路 游 辛 "
    "靳 管 柴 蒙 鲍 华 喻 祁 蒲 房 滕 屈 饶 解 牟 艾 尤 阳 时 穆 农 司 卓 古 吉 缪 简 车 项 连 芦 麦 褚 "
    "娄 窦 戚 岑 景 党 宫 费 卜 冷 晏 席 卫 米 柏 宗 瞿 桂 全 佟 应 臧 闵 苟 邬 边 卞 姬 师 和 仇 栾 隋 "
    "商 刁 沙 荣 巫 寇 桑 郎 甄 丛 仲 虞 敖 巩 明 佘 池 查 麻 苑 迟 邝 习 温 "
    "欧阳 司马 诸葛 上官 东方 皇甫 令狐 慕容 尉迟 公孙 长孙 夏侯 轩辕 端木 独孤 南宫 西门"
)
_NUM = r"[0-9零〇一二三四五六七八九十百千万亿两]"
_CN_DIGITS = "零〇一二三四五六七八九十百千万亿两"
_DATE = re.compile(
    rf"(?:{_NUM}{{2,4}}年代|(?:公元)?{_NUM}{{2,4}}年(?:{_NUM}{{1,2}}月(?:{_NUM}{{1,3}}[日号])?)?"
    rf"|{_NUM}{{1,2}}月{_NUM}{{1,3}}[日号])"
)
_PERCENT = re.compile(r"(?:百分之[零〇一二三四五六七八九十百点]+|[0-9]+(?:\.[0-9]+)?%)")
_MONEY = re.compile(
    r"[0-9]+(?:\.[0-9]+)?(?:万|亿|千|百)*(?:元|美元|欧元|英镑|日元|港元|人民币|块)"
    rf"|{_NUM}+(?:万|亿)*(?:元|美元|欧元|英镑|日元|港元)"
)
_CARDINAL = re.compile(
    rf"(?:[0-9]+(?:\.[0-9]+)?|{_NUM}+)(?:多|余)?(?:万|亿)?"
    r"(?:人次|人|名|个|家|座|所|辆|架|艘|吨|公里|千米|米|平方公里|公顷|亩|台|部|项|次|场|岁|种|件|户|位|余人)"
)
# Full-width digits, point and percent sign read as ASCII ones (one character each: offsets stay).
_HALF_WIDTH = str.maketrans("０１２３４５６７８９．％", "0123456789.%")
_NUMBER_PATTERNS = (
    ("DATE", _DATE),
    ("PERCENT", _PERCENT),
    ("MONEY", _MONEY),
    ("CARDINAL", _CARDINAL),
)


_NAME_END = re.compile(r"[,，、;；:：]")
_EDGE_PUNCT = ",，.。、;；:：!！?？\"'“”‘’()（）[]【】《》『』「」 "


@dataclass(frozen=True)
class Span:
    """A typed span [start, end) inside a sentence."""

    start: int
    end: int
    type: str


@lru_cache(maxsize=1)
def _jiagu():
    import jiagu

    jiagu.init()  # segmentation and tagging models, loaded once per process
    return jiagu


@lru_cache(maxsize=100_000)
def jieba_flag(word: str) -> str:
    """jieba's dictionary part-of-speech flag of a word ('' when the dictionary lacks it)."""
    import jieba.posseg as pseg

    return pseg.dt.word_tag_tab.get(word, "")


def looks_like_person(name: str) -> bool:
    """A known surname (one or two characters) followed by one or two given-name characters."""
    if not 2 <= len(name) <= 4 or not all("\u4e00" <= c <= "\u9fff" for c in name):
        return False
    if name[:2] in SURNAMES and len(name) in (3, 4):
        return True
    return name[0] in SURNAMES and len(name) in (2, 3)


def _unknown_org(words: list[str], i: int) -> bool:
    """领英 + 公司: a name-like word the tagger missed, directly followed by a strong organisation word."""
    word = words[i]
    if i + 1 >= len(words) or words[i + 1] not in STRONG_ORG_SUFFIXES:
        return False
    return len(word) >= 2 and word not in GENERIC and jieba_flag(word) in NAME_LIKE_FLAGS


def _fallback_person(word: str) -> bool:
    """A person jiagu missed: three characters of name shape (two-character words such as 文明 or
    阳光 carry jieba's person tag too often to trust it alone)."""
    if len(word) < 3 or not looks_like_person(word):
        return False
    given = word[2:] if word[:2] in SURNAMES else word[1:]
    return jieba_flag(given) not in COMMON_WORD_FLAGS  # 高水平 is 高 + 水平 (a noun)


def sentence_spans(sentence: str) -> list[Span]:
    """Typed name, date and number spans of one (simplified Chinese) sentence, left to right."""
    jiagu = _jiagu()
    words = jiagu.seg(sentence)
    tags = jiagu.ner(words) if words else []
    names = _names(words, tags)
    taken = [False] * len(sentence)
    for s in names:
        taken[s.start : s.end] = [True] * (s.end - s.start)
    numbers = []
    plain = sentence.translate(_HALF_WIDTH)
    for type_, pattern in _NUMBER_PATTERNS:
        for m in pattern.finditer(plain):
            if type_ == "CARDINAL" and not _is_count(plain, m.start(), m.group(0)):
                continue
            if not any(taken[m.start() : m.end()]):
                numbers.append(Span(m.start(), m.end(), type_))
                taken[m.start() : m.end()] = [True] * (m.end() - m.start())
    return sorted(names + numbers, key=lambda s: s.start)


def _is_count(sentence: str, start: int, text: str) -> bool:
    """A real count: not an article (一个, 一次), not an ordinal (第五次), not a fragment (四年零八个月)."""
    before = sentence[start - 1 : start]
    if (
        before in ("第", "又", "每", "数", "几")
        or before.isdigit()
        or before in _CN_DIGITS
        or text[0] in "零〇"
        or sentence[start + len(text) : start + len(text) + 2] in ("会议", "全会")  # 五次会议
    ):
        return False
    return not (text[0] == "一" and len(text) == 2)


def _names(words: list[str], tags: list[str]) -> list[Span]:
    """jiagu's name spans (consecutive B-/I- words), trimmed and checked, plus names jieba knows."""
    out: list[Span] = []
    offsets = []
    pos = 0
    for w in words:
        offsets.append(pos)
        pos += len(w)
    i = 0
    while i < len(words):
        tag = tags[i]
        if tag.startswith("B-") and tag[2:] in JIAGU_TYPES:
            j = i + 1
            while j < len(words) and tags[j] == "I-" + tag[2:]:
                j += 1
            kind = JIAGU_TYPES[tag[2:]]
            short = _abbreviations("".join(words[i:j]), offsets[i]) if kind == "GPE" else []
            if short:
                out += short
                i = j
                continue
            span = _checked(words[i:j], offsets[i], kind)
        elif tag == "O" and (short := _abbreviations(words[i], offsets[i], tagged=False)):
            out += short
            i += 1
            continue
        elif tag == "O" and _unknown_org(words, i):
            j = i + 2
            span = Span(offsets[i], offsets[i + 1] + len(words[i + 1]), "ORG")
        elif tag == "O" and jieba_flag(words[i]) in JIEBA_PERSON_FLAGS:
            j = i + 1
            span = Span(offsets[i], offsets[i] + len(words[i]), "PERSON")
            span = span if _fallback_person(words[i]) else None
        else:
            i += 1
            continue
        if span is not None:
            # a name or place directly followed by an organisation word is one organisation
            if j < len(words) and words[j] in ORG_SUFFIXES and span.type != "PERSON":
                span = Span(span.start, offsets[j] + len(words[j]), "ORG")
                j += 1
            out.append(span)
        i = j
    return out


def _abbreviations(word: str, start: int, tagged: bool = True) -> list[Span]:
    """One-character place abbreviations inside a word: 中美 → 中, 美; 中方 → 中; 访华 → 华; and,
    when the tagger calls it a place, a lone 京. Words such as 中亚 or 美德 are left alone."""
    abbr = PLACE_ABBREVIATIONS
    if word in NOT_ABBREVIATIONS or not word:
        return []
    if 2 <= len(word) <= 4 and all(c in abbr for c in word):
        if tagged or jieba_flag(word) in NAME_LIKE_FLAGS | {"ns", "t"}:
            return [Span(start + k, start + k + 1, "GPE") for k in range(len(word))]
        return []
    if len(word) == 2 and word[0] in abbr and word[1] == "方":
        return [Span(start, start + 1, "GPE")]  # 中方: the Chinese side
    if len(word) == 2 and word[0] in ABBREVIATION_VERBS and word[1] in abbr and word[1] != "中":
        return [Span(start + 1, start + 2, "GPE")]  # 访华, 驻京
    if tagged and len(word) == 1 and word in abbr:
        return [Span(start, start + 1, "GPE")]
    return []


def _checked(words: list[str], start: int, type_: str) -> Span | None:
    """The name inside a tagged word run, or None when it is only a generic word."""
    text = "".join(words)
    lead = len(text) - len(text.lstrip(_EDGE_PUNCT))
    start, text = start + lead, text.strip(_EDGE_PUNCT)
    # a name ends at a comma or enumeration mark, and before a number the tagger took along
    # (伯尔纳·蒙吉奈,埃及 → 伯尔纳·蒙吉奈; 塞萨尔·加维里亚1997 → 塞萨尔·加维里亚)
    text = _NAME_END.split(text, maxsplit=1)[0]
    if type_ != "ORG":
        text = text.rstrip("0123456789０１２３４５６７８９")
    if text in GENERIC or len(text) < 2 and type_ != "GPE":
        return None
    if type_ == "PERSON":
        text = _person_part(text)
        if len(text) >= 4 and text[-1] in NAME_TAIL_WORDS:
            text = text[:-1]  # 克瓦希涅夫斯基于1997年: the tagger took the preposition along
    elif type_ == "GPE":
        text = _place_part(text)
    else:
        text = _org_part(text)
        type_ = _org_or_name(text)
    if not text or text in GENERIC or (len(text) < 2 and type_ != "GPE"):
        return None
    if type_ == "GPE" and len(text) < 2:
        return None  # one-character abbreviations (中, 美) are left to the context
    return Span(start, start + len(text), type_)


def _org_or_name(text: str) -> str:
    """An "organisation" without an organisation word that the dictionary knows as a person or a place."""
    if any(text.endswith(s) for s in ORG_SUFFIXES):
        return "ORG"
    flag = jieba_flag(text)
    if flag in JIEBA_PERSON_FLAGS:
        return "PERSON"
    return "GPE" if flag == "ns" else "ORG"


def _pieces(text: str) -> list[str]:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba.lcut(text, HMM=False)


def _person_part(text: str) -> str:
    """邓小平理论 → 邓小平: a person word that runs on into a noun keeps its leading name."""
    if len(text) <= 3:
        return text
    for k in (3, 2, 4):
        name, rest = text[:k], text[k:]
        is_name = jieba_flag(name) in JIEBA_PERSON_FLAGS or looks_like_person(name)
        # the rest must be a common word: 穆巴拉克 is not 穆巴 + 拉克 (a name piece) nor 穆巴拉 + 克
        common = jieba_flag(rest) not in NAME_LIKE_FLAGS or rest in GENERIC
        if len(rest) >= 2 and is_name and common:
            return name
    return text


def _place_part(text: str) -> str:
    """中国人民 → 中国; 深圳市 stays: trailing pieces that are not place suffixes are dropped."""
    pieces = _pieces(text)
    while len(pieces) > 1 and not _is_place_piece(pieces[-1]):
        pieces.pop()
    text = "".join(pieces)
    for rest in PLACE_PEOPLE:  # 中华民族 (one dictionary word) → 中华; 亚太地区 → 亚太
        if text.endswith(rest) and len(text) - len(rest) >= 2:
            return text[: -len(rest)]
    return text


def _is_place_piece(piece: str) -> bool:
    return piece.endswith(PLACE_SUFFIXES) or jieba_flag(piece) == "ns"


def _org_part(text: str) -> str:
    """华为公司总部 → 华为公司: drop trailing generic nouns that are not organisation words."""
    pieces = _pieces(text)
    while len(pieces) > 1 and pieces[-1] in GENERIC - ORG_SUFFIXES:
        pieces.pop()
    text = "".join(pieces)
    if text.endswith("长") and text[:-1].endswith(tuple(ORG_SUFFIXES)):
        return text[:-1]  # 外交部长 → 外交部
    return text
