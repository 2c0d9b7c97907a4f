"""Random-stream channels of the care layer (the counter is the twin's step index)."""

from __future__ import annotations

import enum


class CareChannel(enum.IntEnum):
    """Channels of :mod:`twin_env.twin.random_streams` drawn by care (300-399 and 460-487)."""

    CONSULTS = 300
    CONSULT_DAY = 301
    BP_MEASURED = 302
    SBP_VISIT = 303
    DBP_VISIT = 304
    SBP_NOISE = 305
    DBP_NOISE = 306
    EVENT_DAY = 307
    LENGTH_OF_STAY = 308
    AF_PRESENTS = 309
    AF_DETECTED = 310
    OUTPATIENT_WAIT = 311
    TEST_DAY = 312
    BASELINE_STAGGER = 313
    BMI_MEASURED = 314
    BMI_NOISE = 315
    SMOKING_RECORDED = 316
    REVIEW_HBA1C = 317
    ANALYTE = 320  # offset by the analyte's index
    HARM_ADMITTED = 340  # whether a syncope, fall or hypoglycaemia is admitted
    AKI_CREATININE_RATIO = 341
    ADMISSION_POTASSIUM = 342
    ADMISSION_SODIUM = 343
    ADMISSION_ANALYTE = 344  # analytic noise of admission results, offset by the analyte's index
    PROGRAMME_START = 460  # wait from a referral to a community programme's first session
    PROGRAMME_UPTAKE = 461  # who takes up a community programme (and how far in the NHS DPP)
    HEALTH_CHECK_PHASE = 462  # a patient's place in the 5-year invitation cycle (counter 0)
    HEALTH_CHECK_UPTAKE = 463
    HEALTH_CHECK_DAY = 464
    HEALTH_CHECK_SBP_VISIT = 465
    HEALTH_CHECK_DBP_VISIT = 466
    HEALTH_CHECK_SBP_NOISE = 467
    HEALTH_CHECK_DBP_NOISE = 468
    HEALTH_CHECK_BMI_NOISE = 469
    HEALTH_CHECK_FOLLOW_UP = 470  # whether a raised check BP is followed up
    HEALTH_CHECK_FOLLOW_UP_DAY = 471
    HEALTH_CHECK_DPP = 472  # whether non-diabetic hyperglycaemia at a check is referred to the NHS DPP
    ECHO_FINDING = 473  # what a cardiology echocardiogram shows
    ECG_FINDING = 474  # what a cardiology clinic ECG shows
    HEALTH_CHECK_HBA1C_DONE = 475  # whether an indicated HbA1c is taken at a check
    HF_CONSULT_DAY = 476  # the day in the step a patient with symptoms suggesting heart failure is seen
    HF_CLINIC_DAY = 477  # the day within the NG106 target a suspected heart failure clinic is booked
    NTPROBNP_NOISE = 478  # analytic error of an NT-proBNP
    HOSPITAL_ANALYTE = 380  # pre-discharge bloods, offset by the analyte's index
    # diagnosis from readings (care/diagnosis.py, care/home_bp.py); 351-379 (admission analytes end at 350)
    HTN_UNCONFIRMED = 351  # a raised clinic reading coded at once, without confirmation
    HTN_MISSED = 352  # a confirming home series not acted on
    HBA1C_DECISION = 353
    EGFR_DECISION = 354
    PULSE_IRREGULAR = 355
    ECG_READ = 356
    HOME_START = 357
    HOME_SBP_DAY = 358  # offset by the day of the series (0-9)
    HOME_DBP_DAY = 368  # offset by the day of the series (0-9)
    HTN_NOT_FOLLOWED = 378  # a raised clinic reading not followed up
    ACR_DECISION = 379  # a raised ACR coded at once, or a confirming one missed
    HEALTH_CHECK_ANALYTE = 480  # Health Check bloods, offset by the analyte's index


__all__ = ["CareChannel"]
