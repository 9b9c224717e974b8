"""fleet --deep's judgement (envdoctor/fleet/all_reduce.py): the sum every rank must hold, and the
pair test's verdict on which node or link breaks the all-reduce."""

from __future__ import annotations

from envdoctor.fleet.all_reduce import AllReduce, Rank, all_reduce_findings, judged, pairs_to_test, suspects


def _result(pairs):
    return AllReduce("gloo", ("a", "b", "c", "d"), 4, False, errors=("a rank 0: timed out",), pairs=tuple(pairs))


def test_every_rank_must_hold_the_sum():
    ranks = [Rank("a", 0, 0), Rank("b", 1, 0), Rank("c", 2, 0)]
    assert judged(ranks, [{"observed": 6.0, "seconds": 0.2}, {"observed": 6.0, "seconds": 0.4},
                          {"observed": 6.0, "seconds": 0.1}]) == (True, 0.4, ())
    ok, seconds, errors = judged(ranks, [{"observed": 6.0, "seconds": 0.2}, {"observed": 5.0, "seconds": 0.4}, None])
    assert (ok, seconds) == (False, None)
    assert errors == ("b rank 1: holds 5.0 after the all-reduce, not 6", "c rank 2: no answer within --timeout")


def test_the_node_in_every_failing_pair_is_named():
    pairs = [("a", "b", True), ("a", "c", False), ("a", "d", True), ("b", "c", False), ("b", "d", True), ("c", "d", False)]
    assert suspects(_result(pairs)) == ["c"]
    (finding,) = all_reduce_findings(_result(pairs))
    assert (finding.code, finding.subject) == ("FLT014", "c")
    assert finding.title == "the gloo all-reduce across 4 nodes (4 ranks) failed: c fails with every other node"


def test_one_failing_link_names_both_ends_and_a_healthy_pair_test_names_none():
    link = [("a", "b", False), ("a", "c", True), ("a", "d", True), ("b", "c", True), ("b", "d", True), ("c", "d", True)]
    assert suspects(_result(link)) == []  # a and b each work with the others: the link between them fails
    (finding,) = all_reduce_findings(_result(link))
    assert (finding.subject, finding.title) == ("a + b", "the gloo all-reduce across 4 nodes (4 ranks) failed: "
                                                         "the link between a and b fails")
    assert suspects(_result([(a, b, True) for a, b, _ in link])) == []


def test_pairs_beyond_eight_nodes_walk_the_ring():
    assert len(pairs_to_test([str(i) for i in range(8)])) == 28
    assert pairs_to_test([str(i) for i in range(10)])[-1] == ("9", "0")
