"""Output for people and files: Markdown and terminal tables (:mod:`.markdown`), HTML pages
(:mod:`.html`, :mod:`.plots`) and the writers of every output file a command produces
(:mod:`.files`). Rendering takes plain data (report dicts, sentence records, summaries) and never
touches a model."""
