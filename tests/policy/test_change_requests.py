"""A2 maker-checker: overlapping facts conflict; the proposer never decides."""

from app.policy.change_requests import check_decider, check_no_conflict, overlaps


def test_paths_overlap_by_whole_segments():
    assert overlaps("/group", "/group")
    assert overlaps("/members/7", "/members/7/health")
    assert overlaps("/members/7/health", "/members/7")
    assert not overlaps("/members/7/health", "/members/7/labour_capacity")
    assert not overlaps("/members/7", "/members/70")
    assert not overlaps("/group", "/address")


def test_a_second_request_on_the_same_facts_conflicts():
    d = check_no_conflict(["/members/7/health"], {"r1": ["/group", "/members/7"]})
    assert not d.ok and d.first_refusal.code == "change_request.conflict"
    assert "r1" in d.first_refusal.reason.detail and d.first_refusal.reason.rule == "A2"
    assert check_no_conflict(["/address"], {"r1": ["/group"], "r2": ["/members/7"]}).ok
    assert check_no_conflict(["/group"], {}).ok


def test_the_proposer_never_decides_and_a_decided_request_stays_decided():
    assert check_decider("user:a", "user:a", "open").first_refusal.code \
        == "change_request.own_request"
    assert check_decider("user:a", "user:b", "open").ok
    assert check_decider("user:a", "user:b", "accepted").first_refusal.code \
        == "change_request.decided"
