"""ClinRisk's disclaimer, which must accompany every QRISK3 or QDiabetes score.

ClinRisk's additional licence terms for QRISK3-2017 and QDiabetes-2018 require this notice to be
held together with any score and shown (or linked prominently) wherever a score is displayed. It
is a licence notice, so it is quoted verbatim, line breaks included, from the header of
ClinRisk's QRISK3-2017 source.
"""

from __future__ import annotations

CLINRISK_DISCLAIMER: str = (
    "The initial version of this file, to be found at http://svn.clinrisk.co.uk/opensource/qrisk2, faithfully implements QRISK3-2017.\n"
    "ClinRisk Ltd. have released this code under the GNU Lesser General Public License to enable others to implement the algorithm faithfully.\n"
    "However, the nature of the GNU Lesser General Public License is such that we cannot prevent, for example, someone accidentally\n"
    "altering the coefficients, getting the inputs wrong, or just poor programming.\n"
    "ClinRisk Ltd. stress, therefore, that it is the responsibility of the end user to check that the source that they receive produces the same\n"
    "results as the original code found at https://qrisk.org.\n"
    "Inaccurate implementations of risk scores can lead to wrong patients being given the wrong treatment."
)
