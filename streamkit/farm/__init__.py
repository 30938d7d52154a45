"""The render farm: a tour's planned steps (the sound, each picture chunk, the join) as RQ jobs on Redis, run by
``streamkit farm worker`` on any machine that sees the same media and work folders."""
