"""Device profiles: identities of the right shape, stable per seed, valid DeviceInformation."""

import re

import pytest

from easclient.client.heartbeat import make_strategy
from easclient.client.profiles import PROFILES, ProfileError, get_profile
from easclient.protocol import ALL_VERSIONS

SHAPES = {
    "iphone": r"[0-9a-v]{26}",
    "android": r"androidc\d{10}",
    "android-ics": r"androidc\d{10}",
    "outlook": r"[0-9a-f]{32}",
    "windows-mobile": r"[0-9A-F]{32}",
}


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_profile_identity_shape_and_stability(name):
    p = get_profile(name)
    a = p.device_id("alice@mail.example")
    assert re.fullmatch(SHAPES[name], a), a
    assert a == p.device_id("alice@mail.example")
    assert a != p.device_id("bob@mail.example")
    assert set(p.versions) <= set(ALL_VERSIONS)
    assert make_strategy(p.heartbeat).name == p.heartbeat
    info = p.device_information()
    assert info.model and info.user_agent == p.user_agent
    el = info.to_element("14.1")
    assert el.findtext("Set/UserAgent") == p.user_agent


def test_profile_values_from_sources():
    assert get_profile("iphone").device_type == "iPhone"
    assert get_profile("iphone").user_agent.startswith("Apple-iPhone")
    assert get_profile("android").device_type == "Android"
    assert get_profile("outlook").device_type == "WindowsOutlook"
    wm = get_profile("windows-mobile")
    assert (wm.device_type, wm.versions[-1], wm.heartbeat) == ("PocketPC", "12.1", "technet")
    assert wm.user_agent.startswith("MSFT-PPC/5.2")


def test_unknown_profile_names_choices():
    with pytest.raises(ProfileError, match=r"'nokia'.*iphone"):
        get_profile("nokia")
