// Element Plus, imported per component (not whole): the first page stays
// small. Each component's style comes with it.
import { ElAlert, ElButton, ElCard, ElInput, ElMenu, ElMenuItem, ElTable, ElTableColumn, ElTag } from "element-plus";
import "element-plus/es/components/alert/style/css";
import "element-plus/es/components/button/style/css";
import "element-plus/es/components/card/style/css";
import "element-plus/es/components/input/style/css";
import "element-plus/es/components/menu/style/css";
import "element-plus/es/components/menu-item/style/css";
import "element-plus/es/components/table/style/css";
import "element-plus/es/components/table-column/style/css";
import "element-plus/es/components/tag/style/css";

export { ElAlert, ElButton, ElCard, ElInput, ElMenu, ElMenuItem, ElTable, ElTableColumn, ElTag };
