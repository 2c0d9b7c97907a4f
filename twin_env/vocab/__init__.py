"""What every layer shares, written once: codes and concepts (:mod:`.codes`, :mod:`.concepts`), the
drug catalogue (:mod:`.drugs`), referral services (:mod:`.services`), test panels (:mod:`.panels`),
recorded problems (:mod:`.problems`), orders (:mod:`.orders`) and simulated dates (:mod:`.dates`).

The bottom layer: imports nothing else of the package.
"""
