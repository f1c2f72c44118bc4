package io.promptline.testkit;

import javax.sql.DataSource;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicBoolean;

/** A database outage on demand: a data source that refuses connections while {@code down}, as an unreachable database does. */
public final class SwitchableDataSource {
    private SwitchableDataSource() {
    }

    public static DataSource of(DataSource real, AtomicBoolean down) {
        return (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(), new Class<?>[]{DataSource.class}, (proxy, m, args) -> {
            if (m.getName().equals("getConnection") && down.get()) throw new SQLException("Connection refused (test outage)", "08001");
            try {
                return m.invoke(real, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
    }
}
