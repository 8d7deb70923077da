"""AppTest for the embeddings page in Chinese: the Chinese grammar by default, Chinese words on
the map and in the queries, translated categories and relations, the lecture, and Chinese
uploads cut into words by jieba (with translated messages for bad ones)."""

from __future__ import annotations

from seqviz.i18n import use_language
from tests.apptest_utils import figures, run_page, run_until

PAGE = "pages/7_Embeddings.py"


def _exp(at):
    return at.session_state["emb.exp"]


def _map(at):
    return next(f for f in figures(at) if f["layout"].get("yaxis", {}).get("scaleanchor") == "x")


def _drawn(at):
    return run_until(at, lambda a: len(figures(a)) >= 3 and any(
        f["layout"].get("yaxis", {}).get("scaleanchor") == "x" for f in figures(a)),
        timeout=180, what="the first snapshot drawn")


def test_chinese_page_trains_on_the_chinese_grammar_and_teaches_with_its_words():
    with use_language("zh"):
        at = _drawn(run_page(PAGE, query={"lang": "zh"}))
        assert _exp(at).cfg.corpus == "grammar_zh"
        assert at.query_params["corpus"] in (["grammar_zh"], "grammar_zh")
        m = _map(at)
        words = {w for t in m["data"] for w in (t.get("customdata") or [])}
        assert {"国王", "王后", "小狗", "狗"} <= words
        legend = {t.get("name") for t in m["data"]}
        assert {"王室", "动物", "颜色"} <= legend
        assert any(str(n).startswith("国王 − 男人 + 女人 ≈") for n in legend)  # parallelogram
        assert [at.text_input(key=f"emb.an.{x}").value for x in "abc"] == ["国王", "男人", "女人"]
        assert {x.label for x in at.metric} >= {"损失", "类比准确率"}
        lecture = at.expander[0]
        assert lecture.label == "🎓 课堂讲解：共 5 步"
        at.button(key="emb.play").click().run()
        at = run_until(at, lambda a: _exp(a).steps >= 300, 180, "300 training steps")
        at.button(key="emb.play").click().run()  # pause
        acc = next(f for f in figures(at) if f["layout"]["title"]["text"].startswith("类比准确率"))
        assert [t["name"] for t in acc["data"]] == ["全部", "性别（国王 − 男人 + 女人）",
                                                     "成年 → 幼崽（小狗 − 狗 + 猫）"]
        probes = next(md.value for md in at.markdown if "**国王**" in md.value)
        assert "王后" in probes
        # the lecture's first step is this setup: trained past its 50 steps, its answer shows
        # once the lecture is opened (a first visit keeps it closed, in Chinese too)
        assert not at.expander[0].proto.expanded
        at.session_state["emb.lecture.open"] = True
        at.run()
        answers = [s.value for s in at.success]
        assert any(a.startswith("**答案**：王后，余弦相似度 0.98") for a in answers), answers


def test_chinese_uploads_are_cut_into_words_and_bad_input_is_explained_in_chinese():
    with use_language("zh"):
        at = _drawn(run_page(PAGE, query={"lang": "zh"}))
        at.text_input(key="emb.nb.word").input("斑马").run()
        assert "'斑马' 不在词表中" in " ".join(w.value for w in at.warning)
        exp = _exp(at)
        at.selectbox(key="emb.w.corpus").set_value("upload").run()
        at.file_uploader(key="emb.upload").set_value(("one.txt", "你好。\n".encode() * 20,
                                                      "text/plain")).run()
        assert not at.exception
        errors = " ".join(e.value for e in at.error)
        assert "无法用这段文本训练" in errors and "word2vec 至少需要 2 个" in errors, errors
        assert _exp(at) is exp  # the running experiment is kept
        story = ("我喜欢吃苹果。她喜欢吃香蕉。我们今天去公园散步。他们明天去学校上课。"
                 "老师在教室里讲故事。学生在图书馆里看书。\n") * 30
        at.file_uploader(key="emb.upload").set_value(("story.txt", story.encode(),
                                                      "text/plain")).run()
        assert not at.exception
        new = _exp(at)
        assert new is not exp and new.cfg.corpus == "upload"
        words = set(new.corpus.words)
        assert {"喜欢", "苹果", "公园", "图书馆"} <= words  # jieba's words, not characters
        assert not {"欢", "果"} & words


def test_an_upload_link_with_no_file_yet_keeps_training_on_the_chinese_grammar():
    """With no usable file yet the page trains on a corpus meanwhile: in Chinese that was the
    English grammar, named by its internal id ("keeps training on grammar")."""
    with use_language("zh"):
        at = run_page(PAGE, query={"lang": "zh", "corpus": "upload"})
        assert not at.exception
        assert _exp(at).cfg.corpus == "grammar_zh"
        notes = " ".join(i.value for i in at.info)
        assert "继续在 **玩具文法（中文）** 上训练" in notes, notes
