-- A recipient the relay's own shaping holds back (a destination resting
-- after a 421, a sending window, a warm-up cap) keeps the last reply a
-- server gave it in code, enhanced and reply; the hold's own reply text
-- goes here, '' when nothing holds it.
ALTER TABLE relay_recipients ADD COLUMN hold TEXT NOT NULL DEFAULT '';
