-- vigia database, version 2: the behaviour pattern behind an action and the
-- threshold in force when it was taken. NULL where none applied (a start, a
-- removal by count alone, a stopped container) and on rows older than the
-- version.
ALTER TABLE actions ADD COLUMN pattern TEXT;          -- 'leak', 'cpu' or 'mismatch'
ALTER TABLE actions ADD COLUMN pattern_value REAL;    -- the container's figure, in the threshold's unit
ALTER TABLE actions ADD COLUMN threshold TEXT;        -- 'leak', 'cpu', 'low cpu' or 'low mem'
ALTER TABLE actions ADD COLUMN threshold_value REAL;  -- its value at that moment
ALTER TABLE actions ADD COLUMN pressure REAL;         -- the host's pressure then, 0 to 1
