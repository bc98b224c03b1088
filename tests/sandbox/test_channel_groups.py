"""Channel groups in the sandbox (v1alpha), through the real client: GA4's shape, rules and limits."""

from __future__ import annotations

import pytest
from google.analytics import admin_v1alpha as a
from google.api_core import exceptions as ex
from google.protobuf.field_mask_pb2 import FieldMask

from .conftest import PARENT, PARENT360

F = a.ChannelGroupFilter
E = a.ChannelGroupFilterExpression
L = a.ChannelGroupFilterExpressionList
EXACT = F.StringFilter.MatchType.EXACT


def _filter(field="eachScopeMedium", value="email", match=EXACT) -> E:
    return E(filter=F(field_name=field, string_filter=F.StringFilter(match_type=match, value=value)))


def _shape(*or_groups: list[E]) -> E:
    return E(and_group=L(filter_expressions=[E(or_group=L(filter_expressions=list(g))) for g in or_groups]))


def _group(name="Shop channels", rules=None, **fields) -> a.ChannelGroup:
    if rules is None:
        rules = [a.GroupingRule(display_name="E-mail", expression=_shape([_filter()]))]
    return a.ChannelGroup(display_name=name, grouping_rule=rules, **fields)


def _custom(client, parent=PARENT):
    return [g for g in client.list_channel_groups(parent=parent) if not g.system_defined]


def test_every_property_has_the_system_defined_group(alpha):
    (default,) = alpha.list_channel_groups(parent=PARENT)
    assert default.system_defined and default.primary
    assert default.display_name == "Default Channel Group"
    assert [r.display_name for r in default.grouping_rule][:2] == ["Direct", "Paid Search"]
    with pytest.raises(ex.FailedPrecondition, match="cannot be deleted"):
        alpha.delete_channel_group(name=default.name)
    renamed = a.ChannelGroup(name=default.name, display_name="Mine")
    with pytest.raises(ex.FailedPrecondition, match="display_name cannot be updated"):
        alpha.update_channel_group(channel_group=renamed, update_mask=FieldMask(paths=["display_name"]))
    described = a.ChannelGroup(name=default.name, description="Ours")
    assert alpha.update_channel_group(channel_group=described, update_mask=FieldMask(paths=["description"])).description == "Ours"


def test_crud_and_the_primary_hand_over(alpha):
    created = alpha.create_channel_group(parent=PARENT, channel_group=_group(description="Mail"))
    assert created.name.startswith(f"{PARENT}/channelGroups/") and not created.system_defined
    assert created.primary is False
    assert alpha.get_channel_group(name=created.name) == created

    primary = alpha.update_channel_group(
        channel_group=a.ChannelGroup(name=created.name, primary=True), update_mask=FieldMask(paths=["primary"])
    )
    assert primary.primary and primary.description == "Mail"  # only the mask's field changed
    default = next(g for g in alpha.list_channel_groups(parent=PARENT) if g.system_defined)
    assert default.primary is False  # GA4 unsets the previous primary group

    rules = [
        a.GroupingRule(display_name="Newsletter", expression=_shape([_filter("eachScopeSource", "newsletter")])),
        a.GroupingRule(
            display_name="Not paid",
            expression=_shape([E(not_expression=_filter("eachScopeDefaultChannelGroup", "Paid Search"))]),
        ),
    ]
    updated = alpha.update_channel_group(
        channel_group=a.ChannelGroup(name=created.name, grouping_rule=rules), update_mask=FieldMask(paths=["grouping_rule"])
    )
    assert [r.display_name for r in updated.grouping_rule] == ["Newsletter", "Not paid"]

    alpha.delete_channel_group(name=created.name)
    assert _custom(alpha) == []
    default = next(iter(alpha.list_channel_groups(parent=PARENT)))
    assert default.primary is True  # with the primary group gone, GA4's own is primary again
    with pytest.raises(ex.NotFound):
        alpha.get_channel_group(name=created.name)


def test_creating_a_primary_group_unsets_the_default(alpha):
    alpha.create_channel_group(parent=PARENT, channel_group=_group(primary=True))
    # Listed by id: the new group first (GA4's default group has a large id).
    assert [(g.system_defined, g.primary) for g in alpha.list_channel_groups(parent=PARENT)] == [(False, True), (True, False)]


IN_LIST = E(filter=F(field_name="eachScopeMedium", in_list_filter=F.InListFilter(values=["email", "e-mail"])))


@pytest.mark.parametrize(
    ("group", "message"),
    [
        (_group(""), "display_name is required"),
        (_group("x" * 81), "the maximum is 80"),
        (_group(description="x" * 257), "the maximum is 256"),
        (_group(rules=[]), "grouping_rule is required"),
        (
            _group(rules=[a.GroupingRule(display_name=f"C{i}", expression=_shape([_filter()])) for i in range(51)]),
            "has 51 rules; the maximum is 50",
        ),
        (_group(rules=[a.GroupingRule(display_name="", expression=_shape([_filter()]))]), "display_name is required"),
        (_group(rules=[a.GroupingRule(display_name="C")]), "expression is required"),
        (_group(rules=[a.GroupingRule(display_name="C", expression=_filter())]), "must be an and_group"),
        (
            _group(rules=[a.GroupingRule(display_name="C", expression=E(and_group=L(filter_expressions=[_filter()])))]),
            "an and_group may only contain or_group",
        ),
        (
            _group(rules=[a.GroupingRule(display_name="C", expression=_shape([_shape([_filter()])]))]),
            "an or_group may only contain filter or not_expression",
        ),
        (
            _group(rules=[a.GroupingRule(display_name="C", expression=_shape([E(not_expression=E(not_expression=_filter()))]))]),
            "a not_expression may only contain a filter",
        ),
        (_group(rules=[a.GroupingRule(display_name="C", expression=_shape([]))]), "filter_expressions must not be empty"),
        (_group(rules=[a.GroupingRule(display_name="C", expression=_shape([_filter("sessionMedium")]))]), "is not a channel group field"),
        (_group(rules=[a.GroupingRule(display_name="C", expression=_shape([_filter(value="")]))]), "value is required"),
        (
            _group(rules=[a.GroupingRule(display_name="C", expression=_shape([_filter(match=F.StringFilter.MatchType.MATCH_TYPE_UNSPECIFIED)]))]),
            "match_type is required",
        ),
        (
            _group(rules=[a.GroupingRule(display_name="C", expression=_shape([_filter(value="(?=x)", match=F.StringFilter.MatchType.FULL_REGEXP)]))]),
            "is not a valid regular expression",
        ),
        (
            _group(rules=[a.GroupingRule(display_name="C", expression=_shape([E(filter=F(field_name="eachScopeMedium", in_list_filter=F.InListFilter()))]))]),
            "in_list_filter.values must be non-empty",
        ),
        (
            _group(rules=[a.GroupingRule(display_name="C", expression=_shape([E(filter=F(field_name="eachScopeMedium"))]))]),
            "exactly one of string_filter, in_list_filter",
        ),
    ],
)
def test_invalid_groups(alpha, group, message):
    with pytest.raises(ex.InvalidArgument) as info:
        alpha.create_channel_group(parent=PARENT, channel_group=group)
    assert message in info.value.message


def test_in_list_and_negation_round_trip(alpha):
    rules = [a.GroupingRule(display_name="Mail", expression=_shape([IN_LIST], [E(not_expression=_filter("eachScopeSource", "spam"))]))]
    created = alpha.create_channel_group(parent=PARENT, channel_group=_group(rules=rules))
    assert alpha.get_channel_group(name=created.name).grouping_rule == created.grouping_rule == rules


def test_names_are_unique_and_output_only_fields_refused(alpha):
    created = alpha.create_channel_group(parent=PARENT, channel_group=_group())
    with pytest.raises(ex.AlreadyExists, match="already exists"):
        alpha.create_channel_group(parent=PARENT, channel_group=_group())
    with pytest.raises(ex.AlreadyExists):
        alpha.create_channel_group(parent=PARENT, channel_group=_group("Default Channel Group"))
    for path in ("system_defined", "name"):
        with pytest.raises(ex.InvalidArgument, match="output only"):
            alpha.update_channel_group(channel_group=created, update_mask=FieldMask(paths=[path]))


@pytest.mark.parametrize(("parent", "limit"), [(PARENT, 2), (PARENT360, 5)])
def test_custom_groups_per_tier(alpha, parent, limit):
    made = [alpha.create_channel_group(parent=parent, channel_group=_group(f"Group {i}")) for i in range(limit)]
    with pytest.raises(ex.FailedPrecondition) as info:
        alpha.create_channel_group(parent=parent, channel_group=_group("One more"))
    assert f"already has {limit} custom channel groups" in info.value.message
    alpha.delete_channel_group(name=made[0].name)
    assert alpha.create_channel_group(parent=parent, channel_group=_group("One more")).display_name == "One more"
