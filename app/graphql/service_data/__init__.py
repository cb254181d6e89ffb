"""Service data: the items of a tree, selected and unselected along its branches."""
