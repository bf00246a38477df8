// LAMSCN ECG demo: a thin SwiftUI shell over ECGCore (see ios_demo/README.md).
import SwiftUI

@main
struct LAMSCNDemoApp: App {
    @State private var model = AppModel()
    @Environment(\.scenePhase) private var scenePhase

    var body: some Scene {
        WindowGroup {
            ContentView(model: model)
                .task { await model.startUp() }
        }
        .onChange(of: scenePhase) { _, phase in model.setBackground(phase == .background) }
    }
}
