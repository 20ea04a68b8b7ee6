#!/bin/bash
# re-distil the saved networks of one seed as they appear: $1 = seed
seed=$1; out=/tmp/bench/redistill_seed$seed; mkdir -p $out
for sys in spring-2 spring-3 r1-2 r1-3 r2-2 r2-3 charge-2 charge-3 damped-2 damped-3 discontinuous-2 discontinuous-3; do
  law=${sys%-*}; dim=${sys#*-}
  while [ ! -f /tmp/bench/l1_seed$seed/models/$sys-l1.joblib ]; do sleep 30; done
  sleep 5
  OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE python benchmarks/reproduce_nbody.py --strategies l1 --seed $seed --laws $law --dims $dim --load-models /tmp/bench/l1_seed$seed/models --out $out/$sys >> $out/log.txt 2>&1
done
echo ALLDONE >> $out/log.txt
