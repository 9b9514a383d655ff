"""Stage 6, intake: archiving an article and drafting its extract (`infratracker add-article`)."""
