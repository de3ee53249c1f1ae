# bench/rules.mk: `make bench` runs every benchmark: an executable bench/NAME,
# or bench/NAME/run.  Each prints its own ratios against the real alternative.
# Not part of `make check` (timings are measured, never asserted).
bench: all
	$(Q)for b in bench/*; do \
		if [ -f "$$b" ] && [ -x "$$b" ]; then r=$$b; \
		elif [ -x "$$b/run" ]; then r=$$b/run; else continue; fi; \
		echo "== $$r"; RESCUE=$(CURDIR)/$(O)/rescue "$$r" || exit 1; \
	done
