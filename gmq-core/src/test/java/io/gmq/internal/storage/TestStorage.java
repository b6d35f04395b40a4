package io.gmq.internal.storage;

import io.gmq.GmqConfig;
import io.gmq.internal.log.LogFileIO;
import io.gmq.internal.log.LogManager;

/** Local storage on a chosen file layer: fault-injection tests (here and in the network module's) open it so. */
public final class TestStorage {
    private TestStorage() {}

    public static LocalStorage open(GmqConfig config, LogFileIO io) {
        return LocalStorage.open(config, cfg -> LogManager.open(cfg, io));
    }
}
