"""Treatment burden: adherence that falls with the number of drugs and daily doses.

(Scaffold: filled by the medicine issue's pill-burden work.)
"""
