# Two commands for a newcomer: `make demo` and `make test`. Both install into .venv first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv

.PHONY: install demo test docs bench cassettes clean

$(UV):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv>=0.5"

# uv keeps .venv exactly in step with uv.lock (--inexact leaves uv itself in place).
# Bytecode is compiled once here, mmtkit's own modules included: where PYTHONDONTWRITEBYTECODE
# is set (CI machines often do), every process (test workers, the sandbox, the CLI under test)
# would otherwise compile every module it imports from source, which took a quarter of the
# test run's time.
install: $(UV)
	$(UV) sync --frozen --inexact --quiet --compile-bytecode --python $(BIN)/python
	$(BIN)/python -c "import compileall, mmtkit, pathlib; \
	compileall.compile_dir(pathlib.Path(mmtkit.__file__).parent, quiet=1, workers=0)" > /dev/null

demo: install
	mkdir -p build
	$(BIN)/mmtkit demo --app examples/shop_assistant.py --report build/demo-report.json

# One worker per core; a test file stays on one worker, so module fixtures (the load tests'
# sandbox process) start once. Run one file under plain `pytest` to see it alone.
# The type check runs beside the tests at the lowest priority: it takes the time the workers
# leave idle (waiting on the sandbox, or the last files running on one worker).
test: install
	@mkdir -p build
	@nice -n 19 $(BIN)/mypy > build/mypy.log 2>&1 & typing=$$!; \
	$(BIN)/pytest -q -n auto --dist loadfile; tests=$$?; \
	wait $$typing; typed=$$?; \
	echo "$(BIN)/mypy"; cat build/mypy.log; \
	echo "$(BIN)/ruff check ."; $(BIN)/ruff check .; linted=$$?; \
	test $$tests -eq 0 -a $$typed -eq 0 -a $$linted -eq 0

docs: install
	$(BIN)/python -m mmtkit.plugins.compliance.rule_tables docs/compliance.md
	$(BIN)/mkdocs build --strict --site-dir build/site

# Each benchmark prints ratios against a baseline measured in the same run; the latest figures
# are in docs/benchmarks.md. The long checks (100k sends, 30 s and 60 s runs) are flags of their own.
bench: install
	for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# Re-record every cassette that tests record through the mmtkit_vcr fixture, against the local
# sandbox (never a real platform); CI replays them with record_mode="none". See docs/testing.md.
cassettes: install
	MMTKIT_RECORD_CASSETTES=1 $(BIN)/pytest -q

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
	find sdk adapters plugins -name '*.so' -delete
	rm -f mmtkit__mypyc*.so
