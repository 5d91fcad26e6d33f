"""Event counters: contacts by tag pair, region entries, captures, pickups, consumables, locks."""

from __future__ import annotations

import numpy as np
import pytest

from sandbox import Body, Consumable, Driver, Events, Lock, Pickup, Region, SceneSpec, Tool, Wall, World

BROOM = Tool(tags=("broom",))


def _corridor(*entities, driver: Driver | None = None) -> SceneSpec:
    """A walled corridor 8 m by 2 m; the driver starts at its west end facing east."""
    driver = driver or Driver(x=0.6, y=1.0, tool=BROOM)
    return SceneSpec(width=8.0, height=2.0, entities=(*Wall.around(8.0, 2.0), driver, *entities))


def _east(world: World, steps: int) -> None:
    for _ in range(steps):
        world.step((1.0, 0.0))


def _index(world: World, tag: str) -> int:
    (index,) = world.tagged(tag).tolist()
    return index


# -- contacts --------------------------------------------------------------------------------------


def test_contacts_begun_between_the_tool_and_tagged_bodies_are_counted_by_tag_pair():
    world = World(_corridor(Body(x=2.0, y=1.0, tags=("dust", "small")), Body(x=2.0, y=1.35, motion="static", tags=("stain",))))
    _east(world, 8)
    contacts = world.events.contacts
    assert contacts[("broom", "dust")] == 1 and contacts[("broom", "small")] == 1
    assert contacts[("broom", "stain")] == 1  # the blade's end grazed the stain
    assert world.events.contact("dust", "broom") == world.events.contact("broom", "dust") == 1
    assert contacts[("broom", "wall")] == 0 and "broom|wall" not in world.events.to_dict()["contacts"]  # walls are not counted


def test_tool_contacts_count_once_per_tool_shape_and_body():
    """A scoop has three shapes (blade and two arms); a particle touching two of them counts twice."""
    scoop = Driver(x=0.6, y=1.0, tool=Tool(arms=0.3, tags=("broom",)))
    world = World(_corridor(Body(x=2.0, y=1.0, tags=("dust",)), driver=scoop))
    _east(world, 15)
    assert 1 <= world.events.contacts[("broom", "dust")] <= 3


def test_the_chassis_contacts_count_under_the_agents_tags():
    driver = Driver(x=0.6, y=1.0, tags=("agent", "robot"))  # no tool: the chassis pushes
    world = World(_corridor(Body(x=2.0, y=1.0, tags=("dust",)), driver=driver))
    _east(world, 8)
    assert world.events.contacts == {("agent", "dust"): 1, ("robot", "dust"): 1}


def test_contacts_between_other_bodies_are_not_counted():
    world = World(_corridor(Body(x=3.0, y=1.0, velocity=(5.0, 0.0), tags=("ball",)), Body(x=4.0, y=1.0, tags=("dust",))))
    for _ in range(10):
        world.step((0.0, 0.0))
    assert world.where("dust")[0][0] > 4.05  # the ball did hit the dust
    assert world.events.contacts == {}


# -- regions --------------------------------------------------------------------------------------------


def test_region_entries_are_counted_by_region_and_tag():
    spec = _corridor(
        Body(x=2.0, y=1.0, tags=("dust",)),
        Region(name="hall", x0=2.6, y0=0.0, x1=3.4, y1=2.0, captures=False),
        Region.circle("spot", 4.2, 1.0, 0.3, captures=False),
    )
    world = World(spec)
    _east(world, 25)
    entries = world.events.entries
    assert entries[("hall", "dust")] == 1 and entries[("hall", "agent")] == 1
    assert entries[("hall", "broom")] == 0 and entries[("spot", "agent")] == 1  # the tool's entries are not counted
    assert world.events.captures == {}


def test_a_capturing_region_takes_only_the_tags_it_is_told_to():
    spec = _corridor(
        Body(x=2.0, y=0.8, tags=("dust",)),
        Body(x=2.0, y=1.2, tags=("rock",)),
        Region(name="bin", x0=4.0, y0=0.0, x1=5.0, y1=2.0, only=("dust",)),
    )
    world = World(spec)
    _east(world, 20)
    dust, rock = _index(world, "dust"), _index(world, "rock")
    assert world.events.captures == {"bin": 1} and world.events.captured == {"dust": 1}
    assert world.captured_by[dust] == "bin" and world.captured_by[rock] is None
    assert not world.present[dust] and world.present[rock]
    assert world.events.entries[("bin", "rock")] == 1  # it went in, and was counted, but stays on the floor
    assert world.where("rock").shape == (1, 2) and world.where("dust").shape == (0, 2)


def test_regions_never_capture_the_agent_or_static_or_kinematic_bodies():
    spec = _corridor(
        Body(x=2.5, y=1.7, motion="static", tags=("stain",)),
        Body(x=2.5, y=0.3, motion="kinematic", tags=("cart",)),
        Region(name="bin", x0=2.0, y0=0.0, x1=3.0, y1=2.0),
    )
    world = World(spec)
    _east(world, 20)
    assert world.agent.position[0] > 3.0
    assert world.events.captures == {} and world.present.all()


# -- pickups, consumables, locks --------------------------------------------------------------------------


def test_a_pickup_goes_into_the_inventory_and_leaves_the_scene():
    world = World(_corridor(Pickup(x=2.0, y=1.0, tags=("key",)), Pickup(x=3.0, y=1.0, tags=("coin",), item="gold")))
    key, coin = _index(world, "key"), _index(world, "coin")
    assert world.present[key] and world.positions[key].tolist() == [2.0, 1.0]
    _east(world, 18)
    assert world.events.pickups == {"key": 1, "gold": 1} and world.events.inventory == {"key": 1, "gold": 1}
    assert not world.present[key] and not world.present[coin]
    assert np.isnan(world.positions[key]).all() and world.where("key").shape == (0, 2)
    assert world.pose(key) is None
    assert world.events.contacts[("agent", "key")] + world.events.contacts[("broom", "key")] == 1  # touched once
    assert world.agent.position[0] > 3.0  # a pickup is a sensor: it never stopped the driver


def test_a_pickup_that_moves_is_picked_up_too():
    world = World(_corridor(Pickup(x=2.0, y=1.0, motion="dynamic", sensor=False, tags=("key",)), Body(x=4.0, y=1.0)))
    _east(world, 10)
    assert world.events.inventory["key"] == 1 and not world.present[_index(world, "key")]
    assert len(world.space.bodies) == 3  # control body, driver, the loose body


def test_a_consumable_is_eaten_and_adds_its_nutrients():
    food = (
        Consumable(x=2.0, y=1.0, tags=("cake",), nutrients=(("sweetness", 2.0), ("calories", 0.5))),
        Consumable(x=3.0, y=1.0, tags=("bread",), nutrients=(("calories", 1.5),)),
    )
    world = World(_corridor(*food))
    _east(world, 18)
    assert world.events.eaten == {"cake": 1, "bread": 1}
    assert world.events.nutrients == {"sweetness": 2.0, "calories": 2.0}
    assert world.where("cake").shape == (0, 2) and world.where("bread").shape == (0, 2)


def test_a_lock_uses_up_one_item_and_opens():
    chest = Lock(x=4.0, y=1.0, shape="box", size=(0.4, 1.0), needs="key", tags=("chest",))
    spec = _corridor(Pickup(x=2.0, y=1.0, tags=("key",)), chest)
    world = World(spec)
    chest = _index(world, "chest")
    _east(world, 35)
    assert world.events.unlocked == {"chest": 1}
    assert world.events.pickups["key"] == 1 and world.events.inventory["key"] == 0
    assert not world.present[chest] and world.where("chest").shape == (0, 2)
    assert world.agent.position[0] > 4.5  # the opened chest no longer blocks the way


def test_a_lock_without_the_item_stays_solid_and_closed():
    world = World(_corridor(Lock(x=3.0, y=1.0, shape="box", size=(0.4, 1.8), needs="key", tags=("door",))))
    door = _index(world, "door")
    _east(world, 25)
    assert world.events.unlocked == {} and world.present[door]
    assert world.agent.position[0] < 3.0 - 0.2  # stopped in front of it
    assert world.events.contacts[("broom", "door")] >= 1
    assert world.where("door").tolist() == [[3.0, 1.0]]


def test_one_key_opens_one_of_two_locks():
    spec = _corridor(
        Pickup(x=1.8, y=1.0, tags=("key",)),
        Lock(x=3.0, y=1.0, shape="box", size=(0.4, 1.8), needs="key", tags=("door", "first")),
        Lock(x=5.0, y=1.0, shape="box", size=(0.4, 1.8), needs="key", tags=("door", "second")),
    )
    world = World(spec)
    _east(world, 40)
    assert world.events.unlocked == {"door": 1, "first": 1}
    assert not world.present[_index(world, "first")] and world.present[_index(world, "second")]
    assert 3.2 < world.agent.position[0] < 5.0 - 0.2


def test_a_lock_without_tags_counts_under_the_item_it_needs():
    spec = _corridor(Pickup(x=2.0, y=1.0, tags=("key",)), Lock(x=4.0, y=1.0, shape="box", size=(0.4, 1.8), needs="key"))
    world = World(spec)
    _east(world, 25)
    assert world.events.unlocked == {"key": 1}


# -- the counters as data ----------------------------------------------------------------------------


def test_events_to_dict_is_plain_sorted_data():
    world = World(_corridor(Pickup(x=2.0, y=1.0, tags=("key",)), Body(x=3.0, y=1.0, tags=("dust",))))
    _east(world, 18)
    data = world.events.to_dict()
    assert set(data) == {"contacts", "entries", "captures", "captured", "pickups", "inventory", "eaten", "nutrients", "unlocked"}
    assert data["pickups"] == {"key": 1} and data["inventory"] == {"key": 1}
    assert data["contacts"]["broom|dust"] == 1
    assert list(data["contacts"]) == sorted(data["contacts"])
    assert all(type(k) is str for counter in data.values() for k in counter)


def test_a_fresh_events_reads_zero_for_everything():
    events = Events()
    assert events.contacts[("agent", "dust")] == 0 and events.contact("dust", "agent") == 0
    assert events.captures["pan"] == 0 and events.nutrients["calories"] == 0
    assert events.to_dict() == {name: {} for name in events.to_dict()}


def test_contact_in_either_order_sums_both_and_a_tag_with_itself_once():
    events = Events()
    events.contacts[("agent", "dust")] += 2
    events.contacts[("dust", "agent")] += 1
    events.contacts[("agent", "agent")] += 3
    assert events.contact("agent", "dust") == events.contact("dust", "agent") == 3
    assert events.contact("agent", "agent") == 3


@pytest.mark.parametrize("steps", [1, 5])
def test_events_are_identical_for_identical_worlds(steps):
    spec = _corridor(Pickup(x=1.5, y=1.0, tags=("key",)), Body(x=2.0, y=1.0, tags=("dust",)))
    a, b = World(spec), World(spec)
    for world in (a, b):
        _east(world, steps)
    assert a.events == b.events
