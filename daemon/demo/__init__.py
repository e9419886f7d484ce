"""Demo mode: keys made once, the story played on the devnode, and the demo executor."""
