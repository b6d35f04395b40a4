package io.gmq.net.storage;

import io.gmq.GmqConfig;
import io.gmq.storage.LocalStorage;
import io.gmq.storage.Storage;

/** The contract against {@link LocalStorage} itself: the reference behaviour. */
final class LocalStorageContractTest extends StorageContract {
    @Override
    Storage open(GmqConfig config) {
        return LocalStorage.open(config);
    }
}
