# Each target is one habit; CI calls scripts/test, exactly like `make test`.
.PHONY: install serve test lint schema bench

install:
	scripts/install

serve:
	scripts/serve

test:
	scripts/test

lint:
	scripts/lint

schema:
	.venv/bin/python -m app export-schema

bench:
	scripts/with-postgres .venv/bin/python bench/run.py
