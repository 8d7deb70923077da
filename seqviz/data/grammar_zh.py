"""A small Chinese grammar with known word categories and analogy pairs (the twin of
``seqviz.data.grammar``), for the language-model, hidden-state and embedding pages in Chinese.

The construction follows the English grammar (Mikolov et al. 2013's analogies need a word's
contexts to be the union of independent "feature" contexts):

- every gendered person word belongs to a (male, female) pair (国王/王后, 男人/女人, 哥哥/姐姐 …);
  both share the pair's profile (places, verbs, objects, adjectives) and differ only in the
  gender-marked words around them (他/他的 versus 她/她的);
- Chinese marks no plural, so the second relation is *adult / young* animal (狗/小狗, 马/小马 …):
  both share the animal's colours, foods, places, verbs and measure word, and differ only in the
  age-marked words around them (成年的/喜欢 versus 刚出生的/学着/还很小).

So 国王 − 男人 + 女人 ≈ 王后 and 小猫 − 猫 + 狗 ≈ 小狗. The text is written as Chinese is, without
spaces, one sentence per line ending in "。"; ``GRAMMAR_WORDS`` lists every word, so a segmenter
(``seqviz.data.tokenize``, jieba with these words added) recovers exactly the words the grammar
chose. Choices are Zipf-weighted like the English grammar's.
"""

from __future__ import annotations

import itertools
import random

# (male, female, places, intransitive verbs, objects, adjectives): both members share a profile.
_PAIRS = [
    ("国王", "王后", ["城堡", "宫殿", "王国"], ["统治", "休息", "坐着"],
     ["王冠", "王位", "珠宝"], ["聪明", "骄傲", "年老"]),
    ("王子", "公主", ["城堡", "宫殿", "森林"], ["骑马", "跳舞", "打猎"],
     ["宝剑", "王冠", "盾牌"], ["年轻", "勇敢", "骄傲"]),
    ("男人", "女人", ["村庄", "市场", "小镇"], ["工作", "散步", "等待"],
     ["工具", "推车", "外套"], ["强壮", "疲惫", "忙碌"]),
    ("男孩", "女孩", ["学校", "村庄", "田野"], ["玩耍", "奔跑", "大笑"],
     ["皮球", "风筝", "玩具"], ["瘦小", "年幼", "快乐"]),
    ("父亲", "母亲", ["家", "厨房", "花园"], ["做饭", "工作", "休息"],
     ["孩子", "房子", "钥匙"], ["和蔼", "疲惫", "温柔"]),
    ("哥哥", "姐姐", ["家", "学校", "花园"], ["读书", "玩耍", "唱歌"],
     ["书本", "皮球", "自行车"], ["聪明", "年轻", "有趣"]),
    ("叔叔", "阿姨", ["小镇", "市场", "农场"], ["旅行", "卖货", "聊天"],
     ["帽子", "信件", "推车"], ["年老", "有趣", "和蔼"]),
    ("儿子", "女儿", ["农场", "田野", "家"], ["帮忙", "工作", "长大"],
     ["铁锹", "书本", "工具"], ["年轻", "强壮", "安静"]),
    ("丈夫", "妻子", ["家", "市场", "教堂"], ["唱歌", "做饭", "祈祷"],
     ["戒指", "房子", "信件"], ["快乐", "安静", "和蔼"]),
]

# (adult, young, measure word, colours, foods, places): both share the animal's profile.
_ANIMALS = [
    ("狗", "小狗", "只", ["棕色", "黑色", "白色"], ["骨头", "肉", "面包"], ["家", "农场"]),
    ("猫", "小猫", "只", ["黑色", "白色", "灰色"], ["鱼", "牛奶", "肉"], ["家", "花园"]),
    ("狐狸", "小狐狸", "只", ["红色", "棕色"], ["浆果", "鸡蛋", "虫子"], ["森林", "田野"]),
    ("狼", "小狼", "只", ["灰色", "黑色"], ["肉", "骨头"], ["森林", "山"]),
    ("马", "小马", "匹", ["棕色", "白色", "黑色"], ["干草", "苹果", "胡萝卜"], ["田野", "农场"]),
    ("牛", "小牛", "头", ["黑色", "白色", "棕色"], ["青草", "干草"], ["田野", "农场"]),
    ("兔子", "小兔子", "只", ["白色", "灰色", "棕色"], ["胡萝卜", "青草", "生菜"],
     ["花园", "田野"]),
    ("鸟", "小鸟", "只", ["蓝色", "黄色", "红色"], ["种子", "浆果", "虫子"], ["树林", "花园"]),
    ("熊", "小熊", "头", ["棕色", "黑色"], ["蜂蜜", "鱼", "浆果"], ["森林", "山"]),
    ("羊", "小羊", "只", ["白色", "灰色", "黑色"], ["青草", "干草", "生菜"], ["田野", "山"]),
]

_NUMBERS = ["一", "两", "三", "四", "五", "六", "七", "八", "九", "十"]
_PEOPLE_FOODS = ["面包", "汤", "奶酪", "苹果", "蛋糕", "鱼", "鸡蛋", "蜂蜜"]
_TRANSITIVE = ["带着", "拿着", "找到", "留着", "喜欢", "丢了"]
_ANIMAL_VERBS = ["睡觉", "生活", "奔跑", "躲藏"]
_FUNCTION = ["在", "里", "是", "一个", "的", "他", "她", "他的", "她的", "说", "有", "吃", "那个",
             "这", "那", "还", "很", "小", "成年的", "刚出生的", "学着", "。"]
_MEASURE = sorted({a[2] for a in _ANIMALS})

GENDER_PAIRS: list[tuple[str, str]] = [(p[0], p[1]) for p in _PAIRS]
YOUNG_PAIRS: list[tuple[str, str]] = [(a[0], a[1]) for a in _ANIMALS]


def _analogies(pairs: list[tuple[str, str]]) -> list[tuple[str, str, str, str]]:
    # (x1, y1), (x2, y2) -> x1 - x2 + y2 ≈ y1, e.g. 国王 - 男人 + 女人 ≈ 王后.
    return [(p[0], q[0], q[1], p[1]) for p, q in itertools.permutations(pairs, 2)]


# a - b + c ≈ d; gender analogies first, then adult/young ones.
ANALOGIES: list[tuple[str, str, str, str]] = _analogies(GENDER_PAIRS) + _analogies(YOUNG_PAIRS)


def _unique(words) -> list[str]:
    return list(dict.fromkeys(words))


# The same category names as the English grammar, so pages colour both alike.
CATEGORIES: dict[str, list[str]] = {
    "royalty": _unique(w for p in _PAIRS[:2] for w in p[:2]),
    "person": _unique(w for p in _PAIRS[2:] for w in p[:2]),
    "animal": _unique(w for a in _ANIMALS for w in a[:2]),
    "colour": _unique(c for a in _ANIMALS for c in a[3]),
    "number": list(_NUMBERS) + _MEASURE,
    "food": _unique([f for a in _ANIMALS for f in a[4]] + _PEOPLE_FOODS),
    "place": _unique([pl for p in _PAIRS for pl in p[2]] + [pl for a in _ANIMALS for pl in a[5]]),
    "object": _unique(o for p in _PAIRS for o in p[4]),
    "verb": _unique([v for p in _PAIRS for v in p[3]] + _TRANSITIVE + _ANIMAL_VERBS),
    "adjective": _unique(a for p in _PAIRS for a in p[5]),
    "function": list(_FUNCTION),
}

_CATEGORY_OF: dict[str, str] = {}
for _cat, _words in CATEGORIES.items():
    for _w in _words:
        _CATEGORY_OF.setdefault(_w, _cat)

GRAMMAR_WORDS: frozenset[str] = frozenset(_CATEGORY_OF)


def word_category(word: str) -> str | None:
    """The category of a grammar word (``"royalty"``, ``"animal"``, ...), or ``None``."""
    return _CATEGORY_OF.get(word)


class _Picker:
    """Zipf-weighted choices: the i-th item of a list has weight 1 / (i + 1)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self._cum: dict[int, list[float]] = {}

    def __call__(self, items):
        n = len(items)
        if n not in self._cum:
            self._cum[n] = list(itertools.accumulate(1.0 / (i + 1) for i in range(n)))
        return self.rng.choices(items, cum_weights=self._cum[n])[0]


def _person_sentence(pick: _Picker, rng: random.Random) -> list[str]:
    male, female, places, verbs, objects, adjs = pick(_PAIRS)
    is_male = rng.random() < 0.5
    who, pron, poss = (male, "他", "他的") if is_male else (female, "她", "她的")
    kind = rng.choices(range(6), weights=[3, 2, 3, 1.5, 1, 1.5])[0]
    if kind == 0:  # 国王在宫殿里休息
        return [who, "在", pick(places), "里", pick(verbs)]
    if kind == 1:  # 他是一个聪明的国王
        return [pron, "是", "一个", pick(adjs), "的", who]
    if kind == 2:  # 国王带着他的王冠
        return [who, pick(_TRANSITIVE), poss, pick(objects)]
    if kind == 3:  # 那个骄傲的国王有三匹马
        adult, _young, measure = pick(_ANIMALS)[:3]
        return ["那个", pick(adjs), "的", who, "有", pick(_NUMBERS), measure, adult]
    if kind == 4:  # 国王在宫殿里吃蛋糕
        return [who, "在", pick(places), "里", "吃", pick(_PEOPLE_FOODS)]
    return [who, "说", pron, "在", pick(places), "里", pick(verbs)]  # 国王说他在宫殿里休息


def _animal_sentence(pick: _Picker, rng: random.Random) -> list[str]:
    adult, young, measure, colours, foods, places = pick(_ANIMALS)
    is_young = rng.random() < 0.5
    kind = rng.randrange(4)
    if kind == 0:  # 这只黑色的狗在农场里睡觉 / 这只黑色的小狗在农场里睡觉
        who = young if is_young else adult
        return ["这", measure, pick(colours), "的", who, "在", pick(places), "里",
                pick(_ANIMAL_VERBS)]
    if not is_young:
        if kind == 1:  # 那只成年的狗喜欢吃骨头
            return ["那", measure, "成年的", adult, "喜欢", "吃", pick(foods)]
        if kind == 2:  # 狗在农场里喜欢吃骨头
            return [adult, "在", pick(places), "里", "喜欢", "吃", pick(foods)]
        return [adult, "是", pick(colours), "的"]  # 狗是黑色的
    if kind == 1:  # 那只刚出生的小狗学着吃骨头
        return ["那", measure, "刚出生的", young, "学着", "吃", pick(foods)]
    if kind == 2:  # 小狗在农场里学着吃骨头
        return [young, "在", pick(places), "里", "学着", "吃", pick(foods)]
    return [young, "还", "很", "小"]  # 小狗还很小


def generate_sentences(n_sentences: int = 20_000, seed: int = 0) -> list[list[str]]:
    """The grammar's sentences as word lists (each ends with "。"); same seed, same words."""
    if n_sentences < 0:
        raise ValueError(f"n_sentences must be >= 0, got {n_sentences}")
    rng = random.Random(seed)
    pick = _Picker(rng)
    out = []
    for _ in range(n_sentences):
        make = _person_sentence if rng.random() < 0.55 else _animal_sentence
        out.append(make(pick, rng) + ["。"])
    return out


def generate_grammar_zh(n_sentences: int = 20_000, seed: int = 0) -> str:
    """``n_sentences`` Chinese sentences written without spaces, one per line."""
    lines = ["".join(words) for words in generate_sentences(n_sentences, seed)]
    return "\n".join(lines) + ("\n" if lines else "")
