"""The comment of each key of a config file, as the dashboard and the docs read it."""

from __future__ import annotations

from importlib import resources

from escalation.config.comments import line_comment, yaml_comments
from escalation.config.schema import uncertainty_names


def test_a_hash_inside_quotes_is_not_a_comment():
    assert line_comment("'a # b'  # the comment") == "the comment"
    assert line_comment('"#1"') == ""
    assert line_comment("value#not") == ""


def test_keys_are_dotted_paths_with_their_line_and_flow_flag(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(
        "defaults:\n  - _self_\npolicy:  # the levers\n  troops: none  # none | combat\n"
        "  range: {low: 1, high: 2}  # a range\n",
        encoding="utf-8",
    )
    assert yaml_comments(path, "x.") == {
        "x.policy": ("the levers", 3, False),
        "x.policy.troops": ("none | combat", 4, False),
        "x.policy.range": ("a range", 5, True),
    }


def test_every_packaged_uncertainty_has_a_comment_on_its_line():
    path = resources.files("escalation.conf").joinpath("uncertainty/default.yaml")
    comments = yaml_comments(path)
    assert set(uncertainty_names()) <= set(comments)
    assert all(comments[name][0] and comments[name][2] for name in uncertainty_names())
