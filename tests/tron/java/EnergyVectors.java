// A line-by-line port of java-tron's energy arithmetic (tronprotocol/java-tron 1e35f79):
// chainbase ResourceProcessor (increase, increaseV2, recovery, divideCeil, getUsage),
// AccountCapsule (getWindowSize, getWindowSizeV2, setNewWindowSizeV2),
// EnergyProcessor (calculateGlobalEnergyLimitV2, updateUsage, useEnergy),
// VMActuator + TransactionTrace.resetAccountUsageV2 (the usage update a successful call commits)
// and Wallet.estimateEnergy's fee-limit search. Only the branches active on mainnet today are kept
// (supportUnfreezeDelay and supportAllowCancelAllUnfreezeV2 on). Reads one vector per stdin line,
// writes one answer line per vector.
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;

public class EnergyVectors {
  static final long PRECISION = 1_000_000L;
  static final long WINDOW_SIZE_MS = 24 * 3600 * 1000L;
  static final long BLOCK_PRODUCED_INTERVAL = 3000L;
  static final long WINDOW_SIZE_PRECISION = 1000L;
  static final long WINDOW = WINDOW_SIZE_MS / BLOCK_PRODUCED_INTERVAL;
  static final long TRX_PRECISION = 1_000_000L;

  /** The energy fields of an Account: usage, latest consume slot, window size and its flag. */
  static final class Acc {
    long usage;
    long lastTime;
    long windowSize;
    boolean windowOptimized;

    long getWindowSize() {
      if (windowSize == 0) {
        return WINDOW_SIZE_MS / BLOCK_PRODUCED_INTERVAL;
      }
      if (windowOptimized) {
        return windowSize < WINDOW_SIZE_PRECISION ? WINDOW_SIZE_MS / BLOCK_PRODUCED_INTERVAL
            : windowSize / WINDOW_SIZE_PRECISION;
      } else {
        return windowSize;
      }
    }

    long getWindowSizeV2() {
      if (windowSize == 0) {
        return WINDOW_SIZE_MS / BLOCK_PRODUCED_INTERVAL * WINDOW_SIZE_PRECISION;
      }
      if (windowOptimized) {
        return windowSize;
      } else {
        return windowSize * WINDOW_SIZE_PRECISION;
      }
    }

    void setNewWindowSizeV2(long newWindowSize) {
      windowSize = newWindowSize;
      if (!windowOptimized) {
        windowOptimized = true;
      }
    }
  }

  static long divideCeil(long numerator, long denominator) {
    return (numerator / denominator) + ((numerator % denominator) > 0 ? 1 : 0);
  }

  static long getUsage(long usage, long windowSize) {
    return usage * windowSize / PRECISION;
  }

  static long getUsage(long oldUsage, long oldWindowSize, long newUsage, long newWindowSize) {
    return (oldUsage * oldWindowSize + newUsage * newWindowSize) / PRECISION;
  }

  static long increase(long lastUsage, long usage, long lastTime, long now, long windowSize) {
    long averageLastUsage = divideCeil(lastUsage * PRECISION, windowSize);
    long averageUsage = divideCeil(usage * PRECISION, windowSize);
    if (lastTime != now) {
      if (lastTime + windowSize > now) {
        long delta = now - lastTime;
        double decay = (windowSize - delta) / (double) windowSize;
        averageLastUsage = Math.round(averageLastUsage * decay);
      } else {
        averageLastUsage = 0;
      }
    }
    averageLastUsage += averageUsage;
    return getUsage(averageLastUsage, windowSize);
  }

  static long recovery(Acc acc, long lastUsage, long lastTime, long now) {
    long oldWindowSize = acc.getWindowSize();
    return increase(lastUsage, 0, lastTime, now, oldWindowSize);
  }

  static long increaseV2(Acc acc, long lastUsage, long usage, long lastTime, long now) {
    long oldWindowSizeV2 = acc.getWindowSizeV2();
    long oldWindowSize = acc.getWindowSize();
    long averageLastUsage = divideCeil(lastUsage * PRECISION, oldWindowSize);
    long averageUsage = divideCeil(usage * PRECISION, WINDOW);
    if (lastTime != now) {
      if (lastTime + oldWindowSize > now) {
        long delta = now - lastTime;
        double decay = (oldWindowSize - delta) / (double) oldWindowSize;
        averageLastUsage = Math.round(averageLastUsage * decay);
      } else {
        averageLastUsage = 0;
      }
    }
    long newUsage = getUsage(averageLastUsage, oldWindowSize, averageUsage, WINDOW);
    long remainUsage = getUsage(averageLastUsage, oldWindowSize);
    if (remainUsage == 0) {
      acc.setNewWindowSizeV2(WINDOW * WINDOW_SIZE_PRECISION);
      return newUsage;
    }
    long remainWindowSize = oldWindowSizeV2 - (now - lastTime) * WINDOW_SIZE_PRECISION;
    long newWindowSize = divideCeil(
        remainUsage * remainWindowSize + usage * WINDOW * WINDOW_SIZE_PRECISION, newUsage);
    newWindowSize = Math.min(newWindowSize, WINDOW * WINDOW_SIZE_PRECISION);
    acc.setNewWindowSizeV2(newWindowSize);
    return newUsage;
  }

  static long calculateGlobalEnergyLimitV2(long frozeBalance, long totalEnergyLimit,
      long totalEnergyWeight) {
    double energyWeight = (double) frozeBalance / TRX_PRECISION;
    if (totalEnergyWeight == 0) {
      return 0;
    }
    return (long) (energyWeight * ((double) totalEnergyLimit / totalEnergyWeight));
  }

  /** EnergyProcessor.updateUsage. */
  static void updateUsage(Acc acc, long now) {
    acc.usage = increaseV2(acc, acc.usage, 0, acc.lastTime, now);
  }

  /** EnergyProcessor.useEnergy (the bill itself). */
  static void useEnergy(Acc acc, long energy, long now) {
    long newEnergyUsage = increaseV2(acc, acc.usage, energy, acc.lastTime, now);
    acc.usage = newEnergyUsage;
    acc.lastTime = now;
  }

  /**
   * A successful call: VMActuator updates usage to now, sets the consume time to now and merges the
   * frozen energy it may spend; TransactionTrace.resetAccountUsageV2 drops that merge again; then
   * ReceiptCapsule.payEnergyBill calls useEnergy.
   */
  static void successfulCall(Acc acc, long energy, long reserved, long now) {
    updateUsage(acc, now);
    acc.lastTime = now;
    long usage = acc.usage;
    long size = acc.getWindowSize();
    long size2 = acc.getWindowSizeV2();
    acc.usage = increaseV2(acc, acc.usage, reserved, now, now);
    long mergedUsage = acc.usage;
    long mergedSize = acc.getWindowSize();
    // resetAccountUsageV2
    long currentSize = acc.getWindowSize();
    long currentSize2 = acc.getWindowSizeV2();
    long currentUsage = acc.usage;
    long newArea = currentUsage * currentSize - (mergedUsage * mergedSize - usage * size);
    long newSize = mergedSize == currentSize ? size : currentSize;
    long newSize2 = mergedSize == currentSize ? size2 : currentSize2;
    long newUsage = Math.max(0, newArea / newSize);
    acc.usage = newUsage;
    acc.setNewWindowSizeV2(newUsage == 0 ? 0L : newSize2);
    useEnergy(acc, energy, now);
  }

  /** Wallet.estimateEnergy for a call that needs `energy`, with vm.maxEnergyLimitForConstant. */
  static long estimate(long energy, long energyFee, long maxFeeLimit, long maxEnergyForConstant) {
    long high = maxFeeLimit;
    long low = energyFee * energy;
    long twoTimes = low * 2;
    if (twoTimes < high) {
      if (fails(energy, twoTimes, energyFee, maxEnergyForConstant)) {
        low = twoTimes;
      } else {
        high = twoTimes;
      }
    }
    while (low + TRX_PRECISION < high) {
      long mid = (low + high) / 2;
      if (fails(energy, mid, energyFee, maxEnergyForConstant)) {
        low = mid;
      } else {
        high = mid;
      }
    }
    return (long) Math.ceil((double) high / energyFee);
  }

  static boolean fails(long energy, long feeLimit, long energyFee, long maxEnergyForConstant) {
    long limit = Math.min(maxEnergyForConstant, feeLimit / energyFee);
    return energy > limit;
  }

  static Acc acc(String[] f, int i) {
    Acc a = new Acc();
    a.usage = Long.parseLong(f[i]);
    a.lastTime = Long.parseLong(f[i + 1]);
    a.windowSize = Long.parseLong(f[i + 2]);
    a.windowOptimized = !f[i + 3].equals("0");
    return a;
  }

  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in), 1 << 16);
    BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out), 1 << 16);
    String line;
    while ((line = in.readLine()) != null) {
      String[] f = line.split(" ");
      String answer;
      switch (f[0]) {
        case "inc": // lastUsage usage lastTime now window
          answer = Long.toString(increase(Long.parseLong(f[1]), Long.parseLong(f[2]),
              Long.parseLong(f[3]), Long.parseLong(f[4]), Long.parseLong(f[5])));
          break;
        case "free": { // usage lastTime now bytes: useFreeNet's two plain increases
          long usage = Long.parseLong(f[1]);
          long last = Long.parseLong(f[2]);
          long now = Long.parseLong(f[3]);
          long recovered = increase(usage, 0, last, now, WINDOW);
          answer = recovered + " " + increase(recovered, Long.parseLong(f[4]), now, now, WINDOW);
          break;
        }
        case "rec": { // usage lastTime window optimized now
          Acc a = acc(f, 1);
          answer = Long.toString(recovery(a, a.usage, a.lastTime, Long.parseLong(f[5])));
          break;
        }
        case "v2": { // usage lastTime window optimized now spend
          Acc a = acc(f, 1);
          long u = increaseV2(a, a.usage, Long.parseLong(f[6]), a.lastTime, Long.parseLong(f[5]));
          answer = u + " " + a.windowSize;
          break;
        }
        case "use1": { // usage lastTime window optimized now energy: a failed call's bill
          Acc a = acc(f, 1);
          useEnergy(a, Long.parseLong(f[6]), Long.parseLong(f[5]));
          answer = a.usage + " " + a.windowSize + " " + a.lastTime;
          break;
        }
        case "use2": { // usage lastTime window optimized now energy reserved: a successful call
          Acc a = acc(f, 1);
          successfulCall(a, Long.parseLong(f[6]), Long.parseLong(f[7]), Long.parseLong(f[5]));
          answer = a.usage + " " + a.windowSize + " " + a.lastTime;
          break;
        }
        case "lim": // frozeBalance totalEnergyLimit totalEnergyWeight
          answer = Long.toString(calculateGlobalEnergyLimitV2(Long.parseLong(f[1]),
              Long.parseLong(f[2]), Long.parseLong(f[3])));
          break;
        case "est": // energy energyFee maxFeeLimit maxEnergyForConstant
          answer = Long.toString(estimate(Long.parseLong(f[1]), Long.parseLong(f[2]),
              Long.parseLong(f[3]), Long.parseLong(f[4])));
          break;
        default:
          throw new IllegalArgumentException("unknown op " + f[0]);
      }
      out.write(answer);
      out.newLine();
    }
    out.flush();
  }
}
