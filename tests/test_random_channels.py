"""Every random-stream channel of every layer draws from its own stream: no two purposes share a channel.

A channel used with an offset (a reading number, an analyte's index, a day of a series) occupies a span;
the spans of all layers' channel enums must be disjoint and below 1,000 (``standard_normal`` draws its
second uniform at ``channel + 1000``).
"""

from __future__ import annotations

import enum

from twin_env.care.channels import CareChannel
from twin_env.care.pathology import _ANALYTE_INDEX
from twin_env.record.artefacts import RecordChannel
from twin_env.trials.channels import TrialChannel
from twin_env.twin.random_streams import Channel

#: Channels drawn with an offset, and how many consecutive channels each may use.
SPANS: dict[enum.IntEnum, int] = {
    Channel.FLAGS: 22,
    Channel.CONDITION: 20,
    Channel.DIAGNOSED: 20,
    Channel.TREATMENT: 20,
    Channel.HARMS: 20,
    Channel.GLYCAEMIA: 20,
    Channel.MORTALITY: 10,
    Channel.RISK_FACTORS: 20,
    Channel.TREATMENT_BURDEN: 10,
    CareChannel.ANALYTE: 20,
    CareChannel.ADMISSION_ANALYTE: len(_ANALYTE_INDEX),
    CareChannel.HOSPITAL_ANALYTE: len(_ANALYTE_INDEX),
    CareChannel.HEALTH_CHECK_ANALYTE: len(_ANALYTE_INDEX),
    CareChannel.HOME_SBP_DAY: 10,
    CareChannel.HOME_DBP_DAY: 10,
    TrialChannel.SBP_READING: 10,
    TrialChannel.DBP_READING: 10,
    TrialChannel.ANALYTE: 10,
}


def test_channels_of_all_layers_are_disjoint_and_below_1000() -> None:
    owner: dict[int, str] = {}
    for enum_type in (Channel, CareChannel, RecordChannel, TrialChannel):
        for member_name, channel in enum_type.__members__.items():  # aliases included: a repeated value is one
            for value in range(int(channel), int(channel) + SPANS.get(channel, 1)):
                name = f"{enum_type.__name__}.{member_name}"
                assert value < 1000, f"{name} reaches {value}"
                assert value not in owner, f"{name} and {owner[value]} share channel {value}"
                owner[value] = name
