// Loopback starts DynamoDB Local listening on 127.0.0.1 only. DynamoDB
// Local has no option for the address it binds (its Jetty server listens on
// every interface, without authentication), so this launcher, run by
// internal/dynamolocal with the JDK's source launcher, builds the server the
// way DynamoDB Local's own main does and sets the host of its connector
// before starting it. Telemetry is never set up.
import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

public class Loopback {
    public static void main(String[] args) throws Exception {
        DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
        Field field = DynamoDBProxyServer.class.getDeclaredField("server");
        field.setAccessible(true);
        Server server = (Server) field.get(proxy);
        for (Connector c : server.getConnectors()) {
            ((ServerConnector) c).setHost("127.0.0.1");
        }
        proxy.start();
    }
}
