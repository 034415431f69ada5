"""The monthly report (信息通报): its figures, its files, its recipients and its sending by e-mail."""
