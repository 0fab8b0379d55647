-- a version-1 run store written by the code before migration 2 (git ffaba99), dumped with iterdump()
BEGIN TRANSACTION;
CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT, created_at REAL NOT NULL, updated_at REAL NOT NULL,
        name TEXT NOT NULL, tags TEXT NOT NULL DEFAULT '[]',
        status TEXT NOT NULL CHECK (status IN ('running', 'paused', 'finished', 'diverged', 'interrupted', 'error')),
        config TEXT NOT NULL, data TEXT NOT NULL, dataset TEXT, architecture TEXT, loss TEXT,
        metrics TEXT NOT NULL DEFAULT '{}', steps INTEGER NOT NULL DEFAULT 0,
        train_loss REAL, train_accuracy REAL, test_accuracy REAL, wall_seconds REAL,
        weights TEXT, message TEXT NOT NULL DEFAULT '', pid INTEGER, host TEXT, proc_token TEXT);
INSERT INTO "runs" VALUES(1,1.79602949717607140544e+09,1.79602949717669868471e+09,'moons 2-4-1 tanh svm #1','["v1"]','finished','{"dataset": "moons", "layers": [4], "activation": "tanh", "loss": "svm", "lr": 0.1, "seed": 1}','{"name": "moons", "n_features": 2}','moons','2-4-1','svm','{}',3,NULL,0.3,NULL,NULL,'{"w": 1}','',24331,'vm','644644df-374c-4ad5-8cb8-0bba262f847f:161472');
INSERT INTO "runs" VALUES(2,1.79602949717696952817e+09,1.79602949717734766002e+09,'moons 2-4-1 tanh svm #2','["v1"]','error','{"dataset": "moons", "layers": [4], "activation": "tanh", "loss": "svm", "lr": 0.1, "seed": 1}','{"name": "moons", "n_features": 2}','moons','2-4-1','svm','{}',3,NULL,0.3,NULL,NULL,NULL,'boom',24331,'vm','644644df-374c-4ad5-8cb8-0bba262f847f:161472');
INSERT INTO "runs" VALUES(3,1.79602949717757129667e+09,1.79602949717785573009e+09,'moons 2-4-1 tanh svm #3','["v1"]','diverged','{"dataset": "moons", "layers": [4], "activation": "tanh", "loss": "svm", "lr": 0.1, "seed": 1}','{"name": "moons", "n_features": 2}','moons','2-4-1','svm','{}',3,NULL,0.3,NULL,NULL,'{"w": 1}','',24331,'vm','644644df-374c-4ad5-8cb8-0bba262f847f:161472');
INSERT INTO "runs" VALUES(4,1.79602949717808914181e+09,1.79602949717834281919e+09,'moons 2-4-1 tanh svm #4','["v1"]','paused','{"dataset": "moons", "layers": [4], "activation": "tanh", "loss": "svm", "lr": 0.1, "seed": 1}','{"name": "moons", "n_features": 2}','moons','2-4-1','svm','{}',3,NULL,0.3,NULL,NULL,'{"w": 1}','',2147483646,'vm','gone');
CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL);
INSERT INTO "schema_version" VALUES(1,1.79602949716071796414e+09);
CREATE TABLE steps (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, step INTEGER NOT NULL,
        lr REAL, loss REAL, train_loss REAL, train_accuracy REAL, test_loss REAL, test_accuracy REAL,
        grad_norm REAL, seconds REAL, PRIMARY KEY (run_id, step)) WITHOUT ROWID;
INSERT INTO "steps" VALUES(1,1,0.1,1.0,NULL,0.1,NULL,NULL,NULL,NULL);
INSERT INTO "steps" VALUES(1,2,0.1,0.5,NULL,0.2,NULL,NULL,NULL,NULL);
INSERT INTO "steps" VALUES(1,3,0.1,3.33333333333333314829e-01,NULL,0.3,NULL,NULL,NULL,NULL);
INSERT INTO "steps" VALUES(2,1,0.1,1.0,NULL,0.1,NULL,NULL,NULL,NULL);
INSERT INTO "steps" VALUES(2,2,0.1,0.5,NULL,0.2,NULL,NULL,NULL,NULL);
INSERT INTO "steps" VALUES(2,3,0.1,3.33333333333333314829e-01,NULL,0.3,NULL,NULL,NULL,NULL);
INSERT INTO "steps" VALUES(3,1,0.1,1.0,NULL,0.1,NULL,NULL,NULL,NULL);
INSERT INTO "steps" VALUES(3,2,0.1,0.5,NULL,0.2,NULL,NULL,NULL,NULL);
INSERT INTO "steps" VALUES(3,3,0.1,3.33333333333333314829e-01,NULL,0.3,NULL,NULL,NULL,NULL);
INSERT INTO "steps" VALUES(4,1,0.1,1.0,NULL,0.1,NULL,NULL,NULL,NULL);
INSERT INTO "steps" VALUES(4,2,0.1,0.5,NULL,0.2,NULL,NULL,NULL,NULL);
INSERT INTO "steps" VALUES(4,3,0.1,3.33333333333333314829e-01,NULL,0.3,NULL,NULL,NULL,NULL);
CREATE INDEX runs_created ON runs(created_at);
DELETE FROM "sqlite_sequence";
INSERT INTO "sqlite_sequence" VALUES('runs',5);
COMMIT;
