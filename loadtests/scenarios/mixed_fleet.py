"""A fleet like a company's: device kinds in proportions, mail arriving now and then."""

from easclient.load.scenario import Scenario

SCENARIO = Scenario(
    name="mixed-fleet",
    description="iPhone, Android (7 and 4.0), Outlook and Windows Mobile in proportions",
    profiles={
        "iphone": 0.45,
        "android": 0.25,
        "android-ics": 0.05,
        "outlook": 0.15,
        "windows-mobile": 0.10,
    },
    deliveries_per_device_per_minute=1.0,
    messages_per_folder=10,
)
